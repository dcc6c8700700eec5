"""Hardening of the DAG sync engine: tenant isolation, download integrity, symlinks in the
engine-managed tree, secrets in DEBUG logs and the status file of a process that lost the lock."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import airflow_dag_sync as engine
import pytest

# The helpers of the engine's main tests (the constants match conftest.BUCKET / BASE_PREFIX).
from test_engine import BASE_PREFIX, BUCKET, MakeCfg, Put, current, files_under, tdir, tmp_leftovers

if TYPE_CHECKING:
    from counting_client import CountingClient


def status_path(cfg: engine.SyncConfig, name: str = "t1") -> Path:
    return cfg.dest_root / ".status" / f"{name}.json"


def snapshot_dir(cfg: engine.SyncConfig, snapshot_id: str | None, name: str = "t1") -> Path:
    assert snapshot_id is not None
    return tdir(cfg, name) / ".snapshots" / snapshot_id


def sync(client: Any, cfg: engine.SyncConfig, name: str = "t1") -> engine.TenantResult:
    return engine.sync_tenant(client, cfg, next(t for t in cfg.tenants if t.name == name))


# Where a cycle that should never have started would go: a closed local port, never the network.
NOWHERE = {"endpoint_url": "http://127.0.0.1:9", "max_attempts": 1, "connect_timeout": 1}


def write_config(tmp_path: Path, tenants: Any, **extra: Any) -> Path:
    data = {"bucket": BUCKET, "base_prefix": BASE_PREFIX, "dest_root": str(tmp_path / "dest"), "tenants": tenants}
    data.update(extra)
    path = tmp_path / "dag_sync.json"
    path.write_text(json.dumps(data))
    return path


# --------------------------------------------------------------------------- 1. tenant isolation


@pytest.mark.parametrize(
    ("tenants", "base_prefix", "named"),
    [
        ({"team_a": "shared", "team_b": "shared"}, "dags", ["team_a", "team_b", "'dags/shared/'"]),
        ({"team_a": {}, "team_b": "team_a"}, "dags", ["team_a", "team_b", "'dags/team_a/'"]),  # default = name
        (
            {"team_a": {}, "team_a_ml": "team_a/ml"},
            "dags",
            ["team_a", "team_a_ml", "'dags/team_a/'", "'dags/team_a/ml/'"],
        ),
        ({"team_a": "/team_a/", "ml": "team_a//ml"}, "dags/", ["team_a", "ml", "'dags/team_a/'", "'dags/team_a/ml/'"]),
        ({"all": "", "team_b": {}}, "dags", ["all", "team_b", "'dags/'", "'dags/team_b/'"]),
        ({"all": {"prefix": None}, "team_b": {}}, "dags", ["all", "team_b", "'dags/'", "'dags/team_b/'"]),
        ({"team_b": {}, "all": ""}, "", ["all", "team_b", "''", "'team_b/'"]),  # the whole bucket
        ([{"name": "x", "prefix": "a/b/c"}, {"name": "y", "prefix": "a"}], "", ["x", "y", "'a/'", "'a/b/c/'"]),
    ],
)
def test_overlapping_tenant_prefixes_refused(
    aws_env: None, tmp_path: Path, caplog: pytest.LogCaptureFixture, tenants: Any, base_prefix: str, named: list[str]
) -> None:
    cfg_file = write_config(tmp_path, tenants, base_prefix=base_prefix, **NOWHERE)
    for mode in ("--once", "--check-config"):
        caplog.clear()
        assert engine.main([mode, "--config", str(cfg_file)]) == 2
        message = caplog.text
        assert "configuration error" in message
        for word in named:
            assert word in message, (word, message)
    assert not (tmp_path / "dest").exists()  # refused before anything is written


def test_overlapping_cli_tenants_refused(aws_env: None, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg_file = write_config(tmp_path, {}, **NOWHERE)
    base = ["--once", "--config", str(cfg_file), "--prefix", BASE_PREFIX, "--dest-root", str(tmp_path / "d")]
    assert engine.main([*base, "--tenant", "everything=", "--tenant", "team_a"]) == 2
    assert "everything" in caplog.text and "team_a" in caplog.text and "'dags/team_a/'" in caplog.text


@pytest.mark.parametrize(
    "tenants",
    [
        {"team_a": {}, "team_ab": {}},  # a common start, not on a '/' boundary
        {"team_a": "x/team_a", "team_b": "x/team_b"},
        {"team_a": "ml/team_a", "ml": "ml-shared"},
        {"only": ""},  # one tenant may own the whole base prefix
    ],
)
def test_distinct_tenant_prefixes_accepted(tenants: dict[str, Any]) -> None:
    cfg = engine.config_from_mapping(
        {"bucket": BUCKET, "dest_root": "/srv/dags", "base_prefix": "d", "tenants": tenants}
    )
    assert [t.name for t in cfg.tenants] == list(tenants)


def test_prefix_conflict_names_the_enclosing_tenant_first() -> None:
    outer = engine.TenantConfig(name="team_a", prefix="team_a")
    inner = engine.TenantConfig(name="ml", prefix="team_a/ml")
    expected = "the prefix 'dags/team_a/' of tenant team_a encloses the prefix 'dags/team_a/ml/' of tenant ml"
    assert engine.config.prefix_conflict(inner, outer, "dags") == expected
    assert engine.config.prefix_conflict(outer, inner, "dags") == expected
    assert engine.config.prefix_conflict(outer, engine.TenantConfig(name="ab", prefix="team_ab"), "dags") is None


# --------------------------------------------------------------------------- 2. integrity


def serve_body(s3: Any, key: str, body: bytes, headers: dict[str, str]) -> list[str]:
    """Answer every GET of ``key`` (the engine's direct GET and client.get_object alike) with
    ``body`` and exactly ``headers``; return the paths of the GETs answered."""
    from botocore.awsrequest import AWSResponse
    from urllib3 import HTTPResponse

    answered: list[str] = []

    def hook(request: Any, **_: Any) -> AWSResponse | None:
        path = request.url.split("?", 1)[0]
        if not path.endswith("/" + key):
            return None
        answered.append(path)
        raw = HTTPResponse(body=io.BytesIO(body), preload_content=False)
        return AWSResponse(request.url, 200, headers, raw)

    s3.meta.events.register_first("before-send.s3.GetObject", hook)
    return answered


def listed_etag(s3: Any, key: str) -> str:
    return str(s3.head_object(Bucket=BUCKET, Key=key)["ETag"])


def put_multipart(s3: Any, key: str, body: bytes) -> None:
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key)
    part = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=body)
    s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key=key,
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )


def client_for(request: pytest.FixtureRequest, s3: Any, path: str) -> Any:
    """The moto client itself (the engine's direct GET) or the counting wrapper (client.get_object)."""
    return s3 if path == "direct" else request.getfixturevalue("client")


def assert_failed_and_live_kept(
    result: engine.TenantResult, cfg: engine.SyncConfig, good: engine.TenantResult, key: str, files: dict[str, bytes]
) -> None:
    assert not result.ok and not result.changed
    assert f"s3://{BUCKET}/{key}" in str(result.error)
    assert engine.store.read_live_id(tdir(cfg)) == good.snapshot_id
    assert files_under(current(cfg)) == files
    assert tmp_leftovers(cfg) == []
    status = json.loads(status_path(cfg).read_text())
    assert status["ok"] is False and key in status["last_error"] and status["snapshot"] == good.snapshot_id


@pytest.mark.parametrize("path", ["direct", "client"])
@pytest.mark.parametrize("length_header", [False, True], ids=["no-content-length", "short-content-length"])
def test_truncated_body_is_not_published(
    request: pytest.FixtureRequest, s3: Any, put: Put, make_cfg: MakeCfg, path: str, length_header: bool
) -> None:
    put("t1", "dag.py", "v1 = 1\n")
    put("t1", "other.py", "o\n")
    cfg = make_cfg()
    client = client_for(request, s3, path)
    good = sync(client, cfg)
    assert good.ok, good.error
    key = f"{BASE_PREFIX}/t1/dag.py"
    put("t1", "dag.py", "v2 = 'longer'\n")
    cut = b"v2 = 'lo"  # cut short by the server, no checksum header
    headers = {"etag": listed_etag(s3, key)}
    if length_header:
        headers["content-length"] = str(len(cut))  # consistent with the short body
    answered = serve_body(s3, "dag.py", cut, headers)

    result = sync(client, cfg)

    assert answered, "the GET must have been served by the test hook"
    assert "size mismatch" in str(result.error)
    assert_failed_and_live_kept(result, cfg, good, key, {"dag.py": b"v1 = 1\n", "other.py": b"o\n"})


@pytest.mark.parametrize("path", ["direct", "client"])
def test_single_part_md5_mismatch_is_not_published(
    request: pytest.FixtureRequest, s3: Any, put: Put, make_cfg: MakeCfg, path: str
) -> None:
    put("t1", "dag.py", "good")
    cfg = make_cfg()
    client = client_for(request, s3, path)
    good = sync(client, cfg)
    key = f"{BASE_PREFIX}/t1/dag.py"
    put("t1", "dag.py", "next")
    etag = listed_etag(s3, key)
    assert etag.strip('"') == hashlib.md5(b"next").hexdigest()  # single-part: the ETag is the MD5
    serve_body(s3, "dag.py", b"evil", {"etag": etag, "content-length": "4"})  # same size, other bytes

    result = sync(client, cfg)

    assert "MD5 mismatch" in str(result.error)
    assert_failed_and_live_kept(result, cfg, good, key, {"dag.py": b"good"})


def test_multipart_etag_skips_md5_but_not_size(s3: Any, put: Put, make_cfg: MakeCfg) -> None:
    key = f"{BASE_PREFIX}/t1/big.py"
    put_multipart(s3, key, b"multi")
    etag = listed_etag(s3, key)
    assert "-" in etag
    cfg = make_cfg()
    served = serve_body(s3, "big.py", b"other", {"etag": etag, "content-length": "5"})
    same_size = sync(s3, cfg)
    assert same_size.ok, same_size.error  # a multipart ETag is no MD5 of the bytes: not compared
    assert files_under(current(cfg)) == {"big.py": b"other"} and served

    put_multipart(s3, key, b"multipart-2")
    serve_body(s3, "big.py", b"multi", {"etag": listed_etag(s3, key)})
    short = sync(s3, cfg)
    assert not short.ok and "size mismatch" in str(short.error) and key in str(short.error)
    assert engine.store.read_live_id(tdir(cfg)) == same_size.snapshot_id


@pytest.mark.parametrize("path", ["direct", "client"])
@pytest.mark.parametrize(
    "encryption",
    [{"x-amz-server-side-encryption": "aws:kms"}, {"x-amz-server-side-encryption-customer-algorithm": "AES256"}],
    ids=["sse-kms", "sse-c"],
)
def test_encrypted_object_etag_is_not_taken_for_an_md5(
    request: pytest.FixtureRequest, s3: Any, put: Put, make_cfg: MakeCfg, path: str, encryption: dict[str, str]
) -> None:
    key = f"{BASE_PREFIX}/t1/dag.py"
    put("t1", "dag.py", "body")  # moto lists the MD5 of b"body"; real SSE-KMS/SSE-C ETags are opaque
    serve_body(s3, "dag.py", b"BODY", {**encryption, "etag": listed_etag(s3, key), "content-length": "4"})
    cfg = make_cfg()
    result = sync(client_for(request, s3, path), cfg)
    assert result.ok, result.error
    assert files_under(current(cfg)) == {"dag.py": b"BODY"}

    put("t1", "dag.py", "body-2")  # listed with 6 bytes, still served as the 4 of b"BODY": the size is checked
    short = sync(client_for(request, s3, path), cfg)
    assert not short.ok and "size mismatch" in str(short.error)


def test_verify_download() -> None:
    md5 = hashlib.md5(b"abc").hexdigest()
    listed = engine.model.ObjectEntry(etag=md5.upper(), size=3, relpath="a.py")
    engine.s3.verify_download("s3://b/a.py", listed, 3, hashlib.md5(b"abc"))
    with pytest.raises(engine.errors.IntegrityError, match="size mismatch for s3://b/a.py: listed 3 bytes, received 2"):
        engine.s3.verify_download("s3://b/a.py", listed, 2, None)
    with pytest.raises(engine.errors.IntegrityError, match="MD5 mismatch for s3://b/a.py"):
        engine.s3.verify_download("s3://b/a.py", listed, 3, hashlib.md5(b"abd"))
    assert engine.model.is_md5_etag(md5) and not engine.model.is_md5_etag(md5 + "-2") and not engine.model.is_md5_etag("lm:2024")


# --------------------------------------------------------------------------- 3. symlinks


def plant_outside(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A directory outside the engine's tree holding ``files`` (mode 0644, like the engine's)."""
    outside = tmp_path / "outside"
    for rel, body in files.items():
        path = outside / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        path.chmod(0o644)
    return outside


@pytest.mark.parametrize("planted", ["subdirectory", "file", "snapshot directory"])
def test_planted_symlink_in_live_snapshot_is_not_reused(
    client: CountingClient, put: Put, make_cfg: MakeCfg, tmp_path: Path, planted: str
) -> None:
    put("t1", "pkg/mod.py", "good")
    put("t1", "dag.py", "v1")
    cfg = make_cfg()
    first = sync(client, cfg)
    live = snapshot_dir(cfg, first.snapshot_id)
    outside = plant_outside(tmp_path, {"pkg/mod.py": b"evil", "dag.py": b"ev"})  # same sizes
    if planted == "subdirectory":
        os.rename(live / "pkg", tmp_path / "moved-away")
        os.symlink(outside / "pkg", live / "pkg")
    elif planted == "file":
        (live / "pkg" / "mod.py").unlink()
        os.symlink(outside / "pkg" / "mod.py", live / "pkg" / "mod.py")
    else:
        os.rename(live, tmp_path / "moved-away")
        os.symlink(outside, live)
    put("t1", "dag.py", "v2")  # a change, so a new snapshot is built
    client.reset()

    result = sync(client, cfg)

    assert result.ok and result.changed, result.error
    new = snapshot_dir(cfg, result.snapshot_id)
    assert files_under(new) == {"pkg/mod.py": b"good", "dag.py": b"v2"}
    assert not (new / "pkg").is_symlink() and not (new / "pkg" / "mod.py").is_symlink()
    assert (new / "pkg" / "mod.py").stat().st_ino != (outside / "pkg" / "mod.py").stat().st_ino
    assert client.get_calls == 2 and result.linked == 0  # downloaded again, nothing linked


def test_only_files_as_the_engine_placed_them_are_linked(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "aaaa")
    put("t1", "b.py", "bbbb")
    put("t1", "c.py", "c1")
    cfg = make_cfg()
    first = sync(client, cfg)
    live = snapshot_dir(cfg, first.snapshot_id)
    (live / "a.py").chmod(0o666)  # not as the engine leaves its files
    put("t1", "c.py", "c2")

    result = sync(client, cfg)

    assert result.ok and result.linked == 1 and result.downloaded == 2
    new = snapshot_dir(cfg, result.snapshot_id)
    assert (new / "b.py").stat().st_ino == (live / "b.py").stat().st_ino
    assert (new / "a.py").stat().st_ino != (live / "a.py").stat().st_ino
    assert files_under(current(cfg)) == {"a.py": b"aaaa", "b.py": b"bbbb", "c.py": b"c2"}


def managed_symlink(cfg: engine.SyncConfig, name: str, target: Path) -> Path:
    """Replace the managed path ``name`` of tenant t1 (".snapshots", ".lock", "status", "tenant") by a symlink."""
    paths = {
        ".snapshots": tdir(cfg) / ".snapshots",
        ".lock": tdir(cfg) / ".lock",
        "status": status_path(cfg),
        "tenant": tdir(cfg),
    }
    path = paths[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)
    return path


@pytest.mark.parametrize(("managed", "target_is_dir"), [(".snapshots", True), ("tenant", True), (".lock", False)])
def test_symlinked_managed_path_is_refused(
    client: CountingClient, put: Put, make_cfg: MakeCfg, tmp_path: Path, managed: str, target_is_dir: bool
) -> None:
    put("t1", "dag.py", "d")
    cfg = make_cfg()
    target = tmp_path / "victim"
    if target_is_dir:
        target.mkdir()
    link = managed_symlink(cfg, managed, target)

    result = sync(client, cfg)

    assert not result.ok and str(link) in str(result.error) and "symlink" in str(result.error)
    assert client.get_calls == 0 and not os.path.lexists(tdir(cfg) / "current")
    assert link.is_symlink()
    assert (sorted(os.listdir(target)) == []) if target_is_dir else not os.path.lexists(target)


def test_symlinked_status_file_is_refused_and_never_written(
    client: CountingClient, put: Put, make_cfg: MakeCfg, tmp_path: Path
) -> None:
    put("t1", "dag.py", "d")
    cfg = make_cfg()
    victim = tmp_path / "victim.json"
    victim.write_text("precious")
    link = managed_symlink(cfg, "status", victim)

    result = sync(client, cfg)

    assert not result.ok and str(link) in str(result.error) and "symlink" in str(result.error)
    assert client.get_calls == 0 and not os.path.lexists(current(cfg))
    assert link.is_symlink() and victim.read_text() == "precious"


@pytest.mark.parametrize("managed", ["current", ".snapshots", ".lock"])
def test_managed_path_of_another_type_is_refused(
    client: CountingClient, put: Put, make_cfg: MakeCfg, managed: str
) -> None:
    put("t1", "dag.py", "d")
    cfg = make_cfg()
    path = tdir(cfg) / managed
    path.parent.mkdir(parents=True)
    if managed == "current":
        path.mkdir()  # a directory where the engine keeps a symlink
        (path / "planted.py").write_text("x")
    elif managed == ".snapshots":
        path.write_text("a file where the engine keeps a directory")
    else:
        path.mkdir()  # a directory where the engine keeps its lock file

    result = sync(client, cfg)

    assert not result.ok and str(path) in str(result.error) and "not a" in str(result.error)
    assert client.get_calls == 0 and not (tdir(cfg) / ".snapshots").is_symlink()
    if managed == "current":
        assert files_under(path) == {"planted.py": b"x"}


def test_symlinked_manifest_is_not_trusted(client: CountingClient, put: Put, make_cfg: MakeCfg, tmp_path: Path) -> None:
    put("t1", "a.py", "a")
    cfg = make_cfg()
    first = sync(client, cfg)
    manifest = tdir(cfg) / ".snapshots" / f"{first.snapshot_id}.manifest.json"
    copy = tmp_path / "copy.json"
    copy.write_bytes(manifest.read_bytes())
    manifest.unlink()
    os.symlink(copy, manifest)
    assert engine.store.load_manifest(tdir(cfg) / ".snapshots", str(first.snapshot_id)) is None
    client.reset()
    again = sync(client, cfg)  # without a trusted manifest the snapshot is rebuilt from S3
    assert again.ok and again.changed and client.get_calls == 1


# --------------------------------------------------------------------------- 4. secrets in DEBUG logs


SDK_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")


@pytest.fixture
def sdk_logger_levels() -> Iterator[None]:
    """main() may set the SDK loggers' levels; restore them for the other tests."""
    loggers = [logging.getLogger(name) for name in SDK_LOGGERS]
    before = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, before, strict=True):
        logger.setLevel(level)


SECRET_KEY = "SecretKeyValue-0123456789-abcdefghij"
SESSION_TOKEN = "SessionTokenValue-FwoGZXIvYXdzE-0123456789"


def test_debug_logging_never_prints_credentials(
    put: Put,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    sdk_logger_levels: None,
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_SECURITY_TOKEN", SESSION_TOKEN)
    put("t1", "a.py", "a")
    put("t1", "pkg/b.py", "b")
    cfg_file = write_config(tmp_path, {"t1": "t1"})
    caplog.set_level(logging.DEBUG)

    assert engine.main(["--once", "--log-level", "DEBUG", "--config", str(cfg_file)]) == 0

    assert (tmp_path / "dest" / "t1" / "current" / "pkg" / "b.py").read_text() == "b"
    text = caplog.text
    assert "tenant=t1 ok=True" in text  # the engine's own logging is there
    for secret in (SECRET_KEY, SESSION_TOKEN, "Signature=", "X-Amz-Signature", "X-Amz-Credential"):
        assert secret not in text, secret
    for header in ("authorization", "x-amz-security-token"):
        assert header not in text.lower(), header
    assert all(logging.getLogger(name).getEffectiveLevel() >= logging.INFO for name in SDK_LOGGERS)
    assert logging.getLogger("airflow_dag_sync").isEnabledFor(logging.DEBUG)


# --------------------------------------------------------------------------- 5. status of a lock loser


def test_lock_loser_leaves_the_status_file_alone(client: CountingClient, put: Put, make_cfg: MakeCfg) -> None:
    put("t1", "a.py", "a")
    cfg = make_cfg()
    winner = sync(client, cfg)
    assert winner.ok
    before = status_path(cfg).read_bytes()
    put("t1", "a.py", "a2")

    with engine.store.tenant_lock(tdir(cfg)):  # the winner of the next cycle, still syncing
        loser = sync(client, cfg)

    assert status_path(cfg).read_bytes() == before
    assert json.loads(before)["ok"] is True and json.loads(before)["snapshot"] == winner.snapshot_id
    assert not loser.ok and "another sync process" in str(loser.error) and not loser.lock_held


def test_lock_loser_of_a_first_sync_writes_no_status(
    put: Put, make_cfg: MakeCfg, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    put("t1", "a.py", "a")
    cfg_file = write_config(tmp_path, {"t1": "t1"})
    cfg = make_cfg()
    tdir(cfg).mkdir(parents=True)
    with engine.store.tenant_lock(tdir(cfg)):
        assert engine.main(["--once", "--config", str(cfg_file)]) == 1
    assert not os.path.lexists(status_path(cfg))
    assert "another sync process holds" in caplog.text  # reported on stderr instead
