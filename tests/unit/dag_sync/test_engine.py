"""Behavioural tests for the package roles/airflow_dag_sync/files/airflow_dag_sync."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import signal
import stat
import threading
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import airflow_dag_sync as engine
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

if TYPE_CHECKING:
    from counting_client import CountingClient

# must match conftest.BUCKET / conftest.BASE_PREFIX (not imported at runtime so
# that another conftest.py elsewhere in the tree cannot shadow it)
BUCKET = "dag-bucket"
BASE_PREFIX = "dags"

Put = Callable[..., None]
MakeCfg = Callable[..., engine.SyncConfig]


# --------------------------------------------------------------------------- helpers


def tdir(cfg: engine.SyncConfig, name: str = "t1") -> Path:
    return cfg.dest_root / name


def current(cfg: engine.SyncConfig, name: str = "t1") -> Path:
    return tdir(cfg, name) / "current"


def live_id(cfg: engine.SyncConfig, name: str = "t1") -> str | None:
    return engine.store.read_live_id(tdir(cfg, name))


def snapshot_ids(cfg: engine.SyncConfig, name: str = "t1") -> list[str]:
    return engine.store.list_snapshot_ids(tdir(cfg, name) / ".snapshots")


def tmp_leftovers(cfg: engine.SyncConfig, name: str = "t1") -> list[str]:
    root = tdir(cfg, name) / ".snapshots"
    return [n for n in os.listdir(root) if n.startswith(".tmp-")] if root.exists() else []


def status(cfg: engine.SyncConfig, name: str = "t1") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cfg.dest_root / ".status" / f"{name}.json").read_text())
    return data


def manifest(cfg: engine.SyncConfig, name: str = "t1") -> dict[str, Any]:
    sid = live_id(cfg, name)
    assert sid is not None
    path = tdir(cfg, name) / ".snapshots" / f"{sid}.manifest.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def files_under(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def sync(client: CountingClient, cfg: engine.SyncConfig, name: str = "t1") -> engine.TenantResult:
    tenant = next(t for t in cfg.tenants if t.name == name)
    return engine.sync_tenant(client, cfg, tenant)


# --------------------------------------------------------------------------- 1. cold sync


def test_cold_sync_nested_keys(client: CountingClient, put: Put, make_cfg: MakeCfg, s3: Any) -> None:
    put("t1", "dag_a.py", "print('a')\n")
    put("t1", "sub/dag_b.py", "print('b')\n")
    put("t1", "sub/deeper/helpers.py", "X = 1\n")
    s3.put_object(Bucket=BUCKET, Key=f"{BASE_PREFIX}/t1/sub/", Body=b"")  # directory marker
    s3.put_object(Bucket=BUCKET, Key=f"{BASE_PREFIX}/t10/other.py", Body=b"not mine")  # sibling prefix
    cfg = make_cfg()

    result = sync(client, cfg)

    assert result.ok and result.changed and result.error is None
    assert result.downloaded == 3 and result.linked == 0 and result.objects == 3
    assert current(cfg).is_symlink()
    assert os.readlink(current(cfg)) == f".snapshots/{result.snapshot_id}"
    assert files_under(current(cfg)) == {
        "dag_a.py": b"print('a')\n",
        "sub/dag_b.py": b"print('b')\n",
        "sub/deeper/helpers.py": b"X = 1\n",
    }
    objects = manifest(cfg)["objects"]
    assert set(objects) == {f"dags/t1/{k}" for k in ("dag_a.py", "sub/dag_b.py", "sub/deeper/helpers.py")}
    head = s3.head_object(Bucket=BUCKET, Key="dags/t1/sub/dag_b.py")
    assert objects["dags/t1/sub/dag_b.py"] == {
        "etag": head["ETag"].strip('"'),
        "size": len(b"print('b')\n"),
        "relpath": "sub/dag_b.py",
    }
    st = status(cfg)
    assert st["ok"] is True and st["last_error"] is None
    assert st["snapshot"] == result.snapshot_id
    assert st["objects"] == 3 and st["bytes"] == sum(len(v) for v in files_under(current(cfg)).values())
    assert st["downloaded"] == 3 and st["rejected"] == []
    assert st["last_success"] == st["last_attempt"] and st["last_success"].endswith("Z")
    assert isinstance(st["duration_s"], float)
    # permissions: dirs 0755, files 0644, status readable
    snap = tdir(cfg) / ".snapshots" / str(result.snapshot_id)
    assert stat.S_IMODE(snap.stat().st_mode) == 0o755
    assert stat.S_IMODE((snap / "sub" / "deeper").stat().st_mode) == 0o755
    assert stat.S_IMODE((snap / "sub" / "dag_b.py").stat().st_mode) == 0o644
    assert stat.S_IMODE((cfg.dest_root / ".status" / "t1.json").stat().st_mode) == 0o644
    # no temp files anywhere in the snapshot
    assert not [p for p in snap.rglob("*") if p.name.startswith(".")]


# --------------------------------------------------------------------------- 2. no change


def test_no_change_cycle_downloads_nothing(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "a")
    put("t1", "b/c.py", "c")
    cfg = make_cfg()
    first = sync(client, cfg)
    assert first.ok and first.downloaded == 2
    snap_dir = tdir(cfg) / ".snapshots"
    before = sorted(os.listdir(snap_dir))
    mtime = (snap_dir / str(first.snapshot_id)).stat().st_mtime_ns
    client.reset()

    second = sync(client, cfg)

    assert second.ok and not second.changed
    assert client.get_calls == 0 and second.downloaded == 0
    assert second.snapshot_id == first.snapshot_id == live_id(cfg)
    assert sorted(os.listdir(snap_dir)) == before
    assert (snap_dir / str(first.snapshot_id)).stat().st_mtime_ns == mtime
    assert status(cfg)["ok"] is True and status(cfg)["changed"] is False


# --------------------------------------------------------------------------- 3. same-size edit


def test_same_size_edit_is_picked_up(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "dag.py", "value = 'AAAA'\n")
    put("t1", "other.py", "x = 1\n")
    cfg = make_cfg()
    first = sync(client, cfg)
    put("t1", "dag.py", "value = 'BBBB'\n")  # identical length
    client.reset()

    second = sync(client, cfg)

    assert second.ok and second.changed and second.snapshot_id != first.snapshot_id
    assert second.downloaded == 1 and second.linked == 1 and client.get_calls == 1
    assert (current(cfg) / "dag.py").read_text() == "value = 'BBBB'\n"
    # the previous snapshot is untouched
    old = tdir(cfg) / ".snapshots" / str(first.snapshot_id) / "dag.py"
    assert old.read_text() == "value = 'AAAA'\n"


# --------------------------------------------------------------------------- 4. deletion


def test_deleted_object_disappears_from_new_snapshot(
    client: CountingClient, put: Put, delete: Callable[[str, str], None], make_cfg: MakeCfg
) -> None:
    put("t1", "keep.py", "k")
    put("t1", "gone/drop.py", "d")
    cfg = make_cfg()
    first = sync(client, cfg)
    delete("t1", "gone/drop.py")
    client.reset()

    second = sync(client, cfg)

    assert second.ok and second.changed and second.downloaded == 0 and client.get_calls == 0
    assert files_under(current(cfg)) == {"keep.py": b"k"}
    assert not (current(cfg) / "gone").exists()
    assert "dags/t1/gone/drop.py" not in manifest(cfg)["objects"]
    assert (tdir(cfg) / ".snapshots" / str(first.snapshot_id) / "gone" / "drop.py").exists()


def test_deleting_everything_publishes_empty_snapshot(
    client: CountingClient, put: Put, delete: Callable[[str, str], None], make_cfg: MakeCfg
) -> None:
    put("t1", "only.py", "o")
    cfg = make_cfg()
    sync(client, cfg)
    delete("t1", "only.py")
    result = sync(client, cfg)
    assert result.ok and result.changed and result.objects == 0
    assert files_under(current(cfg)) == {}


# --------------------------------------------------------------------------- 5. traversal


TRAVERSAL_KEYS = ["../x.py", "a/../../x.py", "/abs.py", "a\\b.py", "a//b.py", "./dot.py"]


def test_traversal_keys_rejected(client: CountingClient, put: Put, make_cfg: MakeCfg, s3: Any) -> None:
    for rel in TRAVERSAL_KEYS:
        s3.put_object(Bucket=BUCKET, Key=f"{BASE_PREFIX}/t1/{rel}", Body=b"evil")
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="dags/t1/")["Contents"]}
    assert {f"dags/t1/{rel}" for rel in TRAVERSAL_KEYS} <= listed  # the store really holds them
    put("t1", "good.py", "ok")
    put("t1", "pkg/mod.py", "ok2")
    cfg = make_cfg()

    result = sync(client, cfg)

    assert result.ok and result.objects == 2 and client.get_calls == 2
    rejected = {r.key: r.reason for r in result.rejected}
    assert set(rejected) == {f"dags/t1/{rel}" for rel in TRAVERSAL_KEYS}
    assert files_under(current(cfg)) == {"good.py": b"ok", "pkg/mod.py": b"ok2"}
    # nothing anywhere outside the snapshot tree, nowhere a file called x.py/abs.py
    everything = [p for p in cfg.dest_root.parent.rglob("*") if p.is_file()]
    assert not [p for p in everything if p.name in {"x.py", "abs.py", "b.py", "a\\b.py", "dot.py"}]
    st = status(cfg)
    assert st["ok"] is True and st["rejected_count"] == len(TRAVERSAL_KEYS)
    assert {r["key"] for r in st["rejected"]} == set(rejected)
    assert manifest(cfg)["rejected"]


@pytest.mark.parametrize(
    ("rel", "ok"),
    [
        ("dag.py", True),
        ("a/b/c.py", True),
        ("..hidden.py", True),
        ("../x.py", False),
        ("a/../../x.py", False),
        ("/abs.py", False),
        ("a\\b.py", False),
        ("a//b.py", False),
        ("a/./b.py", False),
        ("nul\x00.py", False),
        ("new\nline.py", False),
        ("", False),
        ("x" * 256, False),
    ],
)
def test_relpath_problem(rel: str, ok: bool) -> None:
    assert (engine.model.relpath_problem(rel) is None) is ok


def test_file_directory_conflict_rejected(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "pkg", "i am a file")
    put("t1", "pkg/mod.py", "m")
    cfg = make_cfg()
    result = sync(client, cfg)
    assert result.ok
    assert [r.key for r in result.rejected] == ["dags/t1/pkg"]
    assert files_under(current(cfg)) == {"pkg/mod.py": b"m"}


# --------------------------------------------------------------------------- 6. outage


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url="https://s3.invalid"),
        ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "ListObjectsV2"),
    ],
)
def test_outage_keeps_live_snapshot(client: CountingClient, put: Put, make_cfg: MakeCfg, exc: BaseException) -> None:
    put("t1", "a.py", "a")
    cfg = make_cfg()
    good = sync(client, cfg)
    success_ts = status(cfg)["last_success"]
    put("t1", "a.py", "changed")
    client.fail_list = exc

    bad = sync(client, cfg)

    assert not bad.ok and bad.error
    assert live_id(cfg) == good.snapshot_id
    assert (current(cfg) / "a.py").read_text() == "a"
    assert tmp_leftovers(cfg) == []
    st = status(cfg)
    assert st["ok"] is False and st["last_error"] == bad.error
    assert st["last_success"] == success_ts and st["snapshot"] == good.snapshot_id
    assert type(exc).__name__ in st["last_error"]


def test_outage_once_exit_code_non_zero(
    client: CountingClient, put: Put, make_cfg: MakeCfg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put("t1", "a.py", "a")
    cfg_file = write_config(tmp_path, {"tenants": {"t1": "t1"}})
    assert engine.main(["--once", "--config", str(cfg_file)]) == 0
    snap = live_id(make_cfg())

    client.fail_list = EndpointConnectionError(endpoint_url="http://unreachable:9000")
    monkeypatch.setattr(engine.cli, "build_s3_client", lambda _cfg: client)
    assert engine.main(["--once", "--config", str(cfg_file)]) == 1

    cfg = make_cfg()
    assert live_id(cfg) == snap and (current(cfg) / "a.py").read_text() == "a"
    assert "EndpointConnectionError" in status(cfg)["last_error"]


def test_missing_bucket_once_exit_code_non_zero(aws_env: None, tmp_path: Path) -> None:
    from moto import mock_aws

    cfg_file = write_config(tmp_path, {"tenants": {"t1": "t1"}, "bucket": "does-not-exist"})
    with mock_aws():
        assert engine.main(["--once", "--config", str(cfg_file)]) == 1
    st = json.loads((tmp_path / "dest" / ".status" / "t1.json").read_text())
    assert "NoSuchBucket" in st["last_error"] and st["snapshot"] is None
    assert not (tmp_path / "dest" / "t1" / "current").exists()


# --------------------------------------------------------------------------- 7. interrupted cycle


def test_interrupted_download_not_published(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    for i in range(3):
        put("t1", f"dag_{i}.py", f"v1-{i}")
    cfg = make_cfg(parallelism=1)
    good = sync(client, cfg)
    for i in range(3):
        put("t1", f"dag_{i}.py", f"v2-{i}")
    put("t1", "new.py", "n")
    client.reset()
    client.fail_get_after = 2  # third download raises

    bad = sync(client, cfg)

    assert not bad.ok and "simulated download failure" in str(bad.error)
    assert live_id(cfg) == good.snapshot_id
    assert files_under(current(cfg)) == {f"dag_{i}.py": f"v1-{i}".encode() for i in range(3)}
    assert tmp_leftovers(cfg) == [] and snapshot_ids(cfg) == [good.snapshot_id]
    assert status(cfg)["ok"] is False

    client.fail_get_after = None
    fixed = sync(client, cfg)
    assert fixed.ok and fixed.changed and live_id(cfg) == fixed.snapshot_id
    assert (current(cfg) / "new.py").read_text() == "n"
    assert (current(cfg) / "dag_2.py").read_text() == "v2-2"
    assert status(cfg)["ok"] is True and status(cfg)["last_error"] is None


def test_crash_before_flip_is_never_live(
    client: CountingClient, put: Put, make_cfg: MakeCfg, monkeypatch: pytest.MonkeyPatch
) -> None:
    put("t1", "a.py", "1")
    cfg = make_cfg()
    good = sync(client, cfg)
    put("t1", "a.py", "2")

    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise KeyboardInterrupt  # like a kill between download and flip

    monkeypatch.setattr(engine.cycle, "flip_current", boom)
    with pytest.raises(KeyboardInterrupt):
        sync(client, cfg)
    assert live_id(cfg) == good.snapshot_id and (current(cfg) / "a.py").read_text() == "1"
    assert tmp_leftovers(cfg) == []
    monkeypatch.undo()

    # a SIGKILL would leave a tmp dir behind: it is cleaned up by the next cycle
    stale = tdir(cfg) / ".snapshots" / ".tmp-19990101T000000Z-000000"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "half.py").write_text("partial")
    nxt = sync(client, cfg)
    assert nxt.ok and (current(cfg) / "a.py").read_text() == "2"
    assert tmp_leftovers(cfg) == []


def test_snapshot_flushed_once_before_it_goes_live(
    client: CountingClient, put: Put, make_cfg: MakeCfg, monkeypatch: pytest.MonkeyPatch
) -> None:
    put("t1", "a.py", "1")
    put("t1", "pkg/b.py", "2")
    cfg = make_cfg(fsync=True)
    flushed: list[tuple[Path, set[str], bool, str | None]] = []

    def record(path: Path) -> None:  # what is on disk, and what is live, at the moment of the flush
        manifest_written = (path.parent / f"{path.name}.manifest.json").is_file()
        flushed.append((path, set(files_under(path)), manifest_written, live_id(cfg)))

    monkeypatch.setattr(engine.cycle, "sync_filesystem", record)
    result = sync(client, cfg)
    assert result.ok
    [(path, files, manifest_written, live_then)] = flushed  # one flush for the snapshot, not one per file
    assert path.name.startswith(".tmp-") and files == {"a.py", "pkg/b.py"} and manifest_written
    assert live_then is None and live_id(cfg) == result.snapshot_id

    flushed.clear()
    assert sync(client, cfg).ok and flushed == []  # no change, nothing written, nothing flushed


def test_sync_filesystem_flushes_and_names_a_bad_path(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    engine.fs.sync_filesystem(tmp_path)  # a real syncfs(2) of the test's filesystem
    with pytest.raises(FileNotFoundError, match="missing"):
        engine.fs.sync_filesystem(tmp_path / "missing")


# --------------------------------------------------------------------------- 8. publish marker


def test_publish_marker_mode(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    cfg = make_cfg(engine.TenantConfig(name="t1", prefix="t1", marker="_PUBLISHED"))
    put("t1", "a.py", "a1")
    put("t1", "b.py", "b1")

    nothing = sync(client, cfg)
    assert nothing.ok and not nothing.changed and nothing.marker_present is False
    assert not os.path.lexists(current(cfg)) and client.get_calls == 0
    assert status(cfg)["marker_present"] is False

    put("t1", "_PUBLISHED", "release-1")
    first = sync(client, cfg)
    assert first.ok and first.changed
    assert files_under(current(cfg)) == {"a.py": b"a1", "b.py": b"b1"}  # marker not copied
    assert manifest(cfg)["marker_etag"]

    put("t1", "a.py", "a2-changed")
    put("t1", "c.py", "c2")
    client.reset()
    held = sync(client, cfg)
    assert held.ok and not held.changed and client.get_calls == 0 and client.list_calls == 0
    assert live_id(cfg) == first.snapshot_id
    assert files_under(current(cfg)) == {"a.py": b"a1", "b.py": b"b1"}

    put("t1", "_PUBLISHED", "release-2")
    second = sync(client, cfg)
    assert second.ok and second.changed and second.snapshot_id != first.snapshot_id
    assert files_under(current(cfg)) == {"a.py": b"a2-changed", "b.py": b"b1", "c.py": b"c2"}
    assert second.downloaded == 2 and second.linked == 1


def test_marker_removed_keeps_last_publication(
    client: CountingClient, put: Put, delete: Callable[[str, str], None], make_cfg: MakeCfg
) -> None:
    cfg = make_cfg(engine.TenantConfig(name="t1", prefix="t1", marker="_PUBLISHED"))
    put("t1", "a.py", "a")
    put("t1", "_PUBLISHED", "1")
    first = sync(client, cfg)
    delete("t1", "_PUBLISHED")
    put("t1", "a.py", "b")
    again = sync(client, cfg)
    assert again.ok and not again.changed and live_id(cfg) == first.snapshot_id
    assert (current(cfg) / "a.py").read_text() == "a"


# --------------------------------------------------------------------------- 9. limits


@pytest.mark.parametrize("limits", [{"max_objects": 2}, {"max_bytes": 10}])
def test_limits_enforced_live_kept(client: CountingClient, put: Put, make_cfg: MakeCfg, limits: dict[str, Any]) -> None:
    cfg = make_cfg(engine.TenantConfig(name="t1", prefix="t1", **limits))
    put("t1", "a.py", "12345")
    put("t1", "b.py", "12345")
    good = sync(client, cfg)
    assert good.ok
    put("t1", "c.py", "12345")
    client.reset()

    bad = sync(client, cfg)

    assert not bad.ok and client.get_calls == 0
    key = next(iter(limits))
    assert key in str(bad.error) and "t1" in str(bad.error)
    assert live_id(cfg) == good.snapshot_id
    assert files_under(current(cfg)) == {"a.py": b"12345", "b.py": b"12345"}
    assert key in status(cfg)["last_error"] and tmp_leftovers(cfg) == []


# --------------------------------------------------------------------------- 10. pruning


def test_old_snapshots_pruned_to_keep(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    cfg = make_cfg(keep=2)
    ids: list[str] = []
    for i in range(6):
        put("t1", "dag.py", f"version {i}")
        result = sync(client, cfg)
        assert result.ok and result.snapshot_id
        ids.append(result.snapshot_id)
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert snapshot_ids(cfg) == ids[-3:]  # live + 2 previous
    assert live_id(cfg) == ids[-1]
    manifests = sorted(p.name for p in (tdir(cfg) / ".snapshots").glob("*.manifest.json"))
    assert manifests == [f"{i}.manifest.json" for i in ids[-3:]]

    cfg0 = make_cfg(keep=0)
    put("t1", "dag.py", "final")
    result = sync(client, cfg0)
    assert snapshot_ids(cfg0) == [result.snapshot_id]


# --------------------------------------------------------------------------- 11. hard links


def test_unchanged_files_are_hard_links(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "stable.py", "s")
    put("t1", "pkg/stable2.py", "s2")
    put("t1", "moving.py", "m1")
    cfg = make_cfg()
    first = sync(client, cfg)
    put("t1", "moving.py", "m2")
    second = sync(client, cfg)
    assert second.linked == 2 and second.downloaded == 1
    old = tdir(cfg) / ".snapshots" / str(first.snapshot_id)
    new = tdir(cfg) / ".snapshots" / str(second.snapshot_id)
    for rel in ("stable.py", "pkg/stable2.py"):
        assert (old / rel).stat().st_ino == (new / rel).stat().st_ino
        assert (new / rel).stat().st_nlink == 2
    assert (old / "moving.py").stat().st_ino != (new / "moving.py").stat().st_ino


def test_damaged_live_file_is_downloaded_again(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "aaaa")
    put("t1", "b.py", "b")
    cfg = make_cfg()
    sync(client, cfg)
    (current(cfg) / "a.py").unlink()  # someone tampered with the live tree
    put("t1", "b.py", "b2")
    result = sync(client, cfg)
    assert result.ok and result.downloaded == 2
    assert files_under(current(cfg)) == {"a.py": b"aaaa", "b.py": b"b2"}


# --------------------------------------------------------------------------- 12. direct GET


class DirectSpy:
    """Keeps the DirectGet of each download batch."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made: list[engine.direct_get.DirectGet | None] = []
        original = engine.direct_get.DirectGet.for_client

        def for_client(client: Any, bucket: str) -> engine.direct_get.DirectGet | None:
            direct = original(client, bucket)
            self.made.append(direct)
            return direct

        monkeypatch.setattr(engine.direct_get.DirectGet, "for_client", staticmethod(for_client))

    @property
    def last(self) -> engine.direct_get.DirectGet:
        direct = self.made[-1]
        assert direct is not None, "the moto client must get the direct path"
        return direct


def answer_first_direct_get(
    s3: Any, status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Make the first direct GET answer ``status``; return (path, "direct" or "client") of every GET."""
    from botocore.awsrequest import AWSResponse
    from urllib3 import HTTPResponse

    seen: list[tuple[str, str]] = []

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        direct = "amz-sdk-invocation-id" not in request.headers  # only boto3's own calls carry it
        seen.append((request.url.rsplit("/", 1)[-1], "direct" if direct else "client"))
        if not direct or len(seen) > 1:
            return None
        raw = HTTPResponse(body=io.BytesIO(body), preload_content=False)
        all_headers = {"content-length": str(len(body)), **(headers or {})}
        return AWSResponse(request.url, status, all_headers, raw)

    s3.meta.events.register_first("before-send.s3.GetObject", hook)
    return seen


def test_direct_get_downloads_without_the_client_call(
    s3: Any, put: Put, make_cfg: MakeCfg, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = DirectSpy(monkeypatch)
    bodies = {"dag.py": b"x = 1\n", "odd name+%é.py": b"y = 2\n", "pkg/deep/m.py": b"z" * 3_000_000}
    for rel, body in bodies.items():
        put("t1", rel, body)
    monkeypatch.setattr(s3, "get_object", lambda **kw: pytest.fail(f"client.get_object called: {kw}"))
    cfg = make_cfg()
    result = sync(s3, cfg)
    assert result.ok and result.downloaded == 3, result.error
    assert files_under(current(cfg)) == bodies
    assert spy.last.fallbacks == 0 and not spy.last.disabled


@pytest.mark.parametrize(("status", "turns_off"), [(500, False), (503, False), (404, False), (301, True), (403, True)])
def test_direct_get_falls_back_to_the_client(
    s3: Any, put: Put, make_cfg: MakeCfg, monkeypatch: pytest.MonkeyPatch, status: int, turns_off: bool
) -> None:
    spy = DirectSpy(monkeypatch)
    put("t1", "a.py", "1")
    put("t1", "b.py", "2")
    seen = answer_first_direct_get(s3, status)
    cfg = make_cfg(parallelism=1)
    result = sync(s3, cfg)
    assert result.ok, result.error
    assert files_under(current(cfg)) == {"a.py": b"1", "b.py": b"2"}
    assert spy.last.fallbacks == 1 and spy.last.disabled is turns_off
    # a.py: direct, then the client; b.py: direct unless the first answer turned it off
    assert seen == [("a.py", "direct"), ("a.py", "client"), ("b.py", "client" if turns_off else "direct")]


CHECKSUMS = {
    "crc32": lambda body: zlib.crc32(body).to_bytes(4, "big"),
    "sha256": lambda body: hashlib.sha256(body).digest(),
}


@pytest.mark.parametrize("algorithm", sorted(CHECKSUMS))
def test_direct_get_checksum_mismatch_keeps_live(s3: Any, put: Put, make_cfg: MakeCfg, algorithm: str) -> None:
    put("t1", "a.py", "good")
    cfg = make_cfg()
    good = sync(s3, cfg)
    put("t1", "a.py", "next")
    checksum_of_good = base64.b64encode(CHECKSUMS[algorithm](b"good")).decode()
    answer_first_direct_get(s3, 200, b"evil", {f"x-amz-checksum-{algorithm}": checksum_of_good})
    result = sync(s3, cfg)
    assert not result.ok and f"Expected checksum {checksum_of_good} did not match" in str(result.error)
    assert live_id(cfg) == good.snapshot_id and files_under(current(cfg)) == {"a.py": b"good"}
    assert tmp_leftovers(cfg) == []


def test_direct_get_composite_checksum_not_checked(s3: Any, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "body")
    answer_first_direct_get(s3, 200, b"body", {"x-amz-checksum-crc32": "AAAAAA==-3"})  # multipart: per part
    cfg = make_cfg()
    result = sync(s3, cfg)
    assert result.ok, result.error
    assert files_under(current(cfg)) == {"a.py": b"body"}


def test_no_direct_get_without_credentials(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-profile lookup
    no_credentials = boto3.client("s3", region_name="us-east-1")
    assert engine.direct_get.DirectGet.for_client(no_credentials, BUCKET) is None  # the client reports the error
    assert engine.direct_get.DirectGet.for_client(object(), BUCKET) is None  # not a botocore client


# --------------------------------------------------------------------------- 13. tenant isolation


def test_one_tenant_failure_does_not_affect_other(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    cfg = make_cfg(
        engine.TenantConfig(name="t1", prefix="t1", max_objects=1),
        engine.TenantConfig(name="t2", prefix="team-two"),
    )
    put("t1", "a.py", "a")
    put("t1", "b.py", "b")
    put("team-two", "x.py", "x")

    results = engine.run_cycle(cfg, client)

    assert [(r.tenant, r.ok) for r in results] == [("t1", False), ("t2", True)]
    assert not os.path.lexists(current(cfg, "t1"))
    assert files_under(current(cfg, "t2")) == {"x.py": b"x"}
    assert status(cfg, "t1")["ok"] is False and "max_objects" in status(cfg, "t1")["last_error"]
    assert status(cfg, "t2")["ok"] is True


def test_tenant_lock_prevents_concurrent_cycle(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "a")
    cfg = make_cfg()
    engine.fs.ensure_dir(tdir(cfg))
    with engine.store.tenant_lock(tdir(cfg)):
        blocked = sync(client, cfg)
    assert not blocked.ok and "another sync process" in str(blocked.error)
    assert sync(client, cfg).ok


# --------------------------------------------------------------------------- 14. CLI end-to-end


def write_config(tmp_path: Path, extra: dict[str, Any]) -> Path:
    data: dict[str, Any] = {
        "bucket": BUCKET,
        "base_prefix": BASE_PREFIX,
        "dest_root": str(tmp_path / "dest"),
        "parallelism": 4,
        "keep": 2,
    }
    data.update(extra)
    path = tmp_path / "dag_sync.json"
    path.write_text(json.dumps(data))
    return path


def test_main_once_with_config_file(put: Put, tmp_path: Path, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "a")
    put("team-b", "sub/b.py", "b")
    cfg_file = write_config(
        tmp_path,
        {"tenants": {"t1": "t1", "tb": {"prefix": "team-b", "max_objects": 10, "max_bytes": "1M"}}},
    )

    assert engine.main(["--once", "--config", str(cfg_file)]) == 0

    dest = tmp_path / "dest"
    assert (dest / "t1" / "current" / "a.py").read_text() == "a"
    assert (dest / "tb" / "current" / "sub" / "b.py").read_text() == "b"
    assert json.loads((dest / ".status" / "tb.json").read_text())["ok"] is True
    # CLI overrides the file: a different status dir and a CLI-only tenant
    put("t3", "c.py", "c")
    rc = engine.main(["--once", "--config", str(cfg_file), "--status-dir", str(tmp_path / "st"), "--tenant", "t3=t3"])
    assert rc == 0
    assert json.loads((tmp_path / "st" / "t3.json").read_text())["objects"] == 1
    assert (dest / "t3" / "current" / "c.py").read_text() == "c"


def test_main_cli_only_and_limit_failure(put: Put, tmp_path: Path) -> None:
    put("t1", "a.py", "a")
    put("t1", "b.py", "b")
    base = ["--once", "--bucket", BUCKET, "--prefix", BASE_PREFIX, "--dest-root", str(tmp_path / "d")]
    assert engine.main([*base, "--tenant", "t1"]) == 0
    assert engine.main([*base, "--tenant", "t1", "--max-objects", "1"]) == 1
    assert (tmp_path / "d" / "t1" / "current" / "b.py").read_text() == "b"


def test_main_loop_stops_gracefully_on_sigterm(
    put: Put, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put("t1", "a.py", "a")
    cfg_file = write_config(tmp_path, {"tenants": {"t1": "t1"}, "interval": 0.05, "jitter": 0.01})
    before = signal.getsignal(signal.SIGTERM)
    real_cycle = engine.run_cycle
    cycles: list[int] = []

    def cycle_then_sigterm(*args: Any, **kwargs: Any) -> list[engine.TenantResult]:
        # The signal is sent from inside the loop, so the engine's handler is installed by then:
        # a timer from outside raced client creation and, when it lost, killed the test process.
        assert signal.getsignal(signal.SIGTERM) is not before, "engine handler not installed"
        results = real_cycle(*args, **kwargs)
        cycles.append(len(results))
        if len(cycles) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return results

    monkeypatch.setattr(engine.cli, "run_cycle", cycle_then_sigterm)
    rc = engine.main(["--config", str(cfg_file)])
    assert rc == 0
    assert cycles == [1, 1]  # stopped after the signal instead of looping on
    assert (tmp_path / "dest" / "t1" / "current" / "a.py").read_text() == "a"
    assert signal.getsignal(signal.SIGTERM) is before  # handlers restored


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"tenants": {"Bad Name": "x"}}, "invalid tenant name"),
        ({"tenants": {}}, "at least one tenant"),
        ({"tenants": {"t1": "t1"}, "aws_secret_access_key": "x"}, "credentials are not accepted"),
        ({"tenants": {"t1": "t1"}, "bogus": 1}, "unknown configuration keys"),
        ({"tenants": {"t1": {"marker": "../m"}}}, "invalid marker"),
        ({"tenants": {"t1": "t1"}, "parallelism": 0}, "parallelism"),
    ],
)
def test_config_errors_exit_2(
    tmp_path: Path, extra: dict[str, Any], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    cfg_file = write_config(tmp_path, extra)
    assert engine.main(["--once", "--config", str(cfg_file)]) == 2
    assert message in caplog.text


def test_check_config_merges_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg_file = write_config(
        tmp_path,
        {
            "tenants": [{"name": "t1", "prefix": "/x/"}, {"name": "t2", "marker": None}],
            "max_bytes": "2K",
            "marker": "_PUBLISHED",
        },
    )
    assert engine.main(["--config", str(cfg_file), "--check-config", "--keep", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["keep"] == 5 and out["interval"] == 10.0 and out["parallelism"] == 4
    assert out["tenants"]["t1"]["full_prefix"] == "dags/x/"
    assert out["tenants"]["t1"]["max_bytes"] == 2048 and out["tenants"]["t1"]["marker"] == "_PUBLISHED"
    assert out["tenants"]["t2"]["full_prefix"] == "dags/t2/" and out["tenants"]["t2"]["marker"] is None


def test_snapshot_ids_strictly_increase(tmp_path: Path) -> None:
    import datetime as dt

    root = tmp_path / "snaps"
    root.mkdir()
    now = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    first = engine.store.next_snapshot_id(root, now)
    assert first == "20300102T030405Z-000000"
    (root / first).mkdir()
    second = engine.store.next_snapshot_id(root, now)
    assert second == "20300102T030405Z-000001"
    (root / second).mkdir()
    earlier = engine.store.next_snapshot_id(root, now - dt.timedelta(hours=1))  # clock went back
    assert earlier > second


def test_join_prefix() -> None:
    assert engine.model.join_prefix("dags", "team-a") == "dags/team-a/"
    assert engine.model.join_prefix("/dags/", "/team-a/") == "dags/team-a/"
    assert engine.model.join_prefix("", "t") == "t/"
    assert engine.model.join_prefix("dags", "") == "dags/"
    assert engine.model.join_prefix("", "") == ""


def test_modes_independent_of_umask(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "pkg/dag.py", "d")
    cfg = make_cfg()
    old_umask = os.umask(0o077)
    try:
        result = sync(client, cfg)
    finally:
        os.umask(old_umask)
    assert result.ok
    snap = tdir(cfg) / ".snapshots" / str(result.snapshot_id)
    for path in (tdir(cfg), tdir(cfg) / ".snapshots", snap, snap / "pkg"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o755, path
    assert stat.S_IMODE((snap / "pkg" / "dag.py").stat().st_mode) == 0o644
    manifest_file = tdir(cfg) / ".snapshots" / f"{result.snapshot_id}.manifest.json"
    assert stat.S_IMODE(manifest_file.stat().st_mode) == 0o644
    assert stat.S_IMODE((cfg.dest_root / ".status" / "t1.json").stat().st_mode) == 0o644


def test_stop_requested_aborts_without_publishing(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "1")
    cfg = make_cfg()
    good = sync(client, cfg)
    put("t1", "a.py", "2")
    stop = threading.Event()
    stop.set()
    tenant = cfg.tenants[0]
    aborted = engine.sync_tenant(client, cfg, tenant, stop)
    assert not aborted.ok and aborted.aborted
    assert live_id(cfg) == good.snapshot_id and tmp_leftovers(cfg) == []
    assert status(cfg)["ok"] is True  # an aborted cycle does not overwrite the status
    assert engine.run_cycle(cfg, client, stop) == []  # no tenant is started after a stop request
