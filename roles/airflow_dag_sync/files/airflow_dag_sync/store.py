"""The snapshot store of one tenant: snapshot ids, manifests, the ``current`` link, the lock, pruning."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

from .config import SyncConfig, TenantConfig
from .errors import LockBusy
from .fs import FILE_MODE, ensure_managed_dir, fsync_dir, managed_exists, read_regular_file, remove_path, unsafe_path
from .model import LOG, Manifest, ObjectEntry, RejectedKey, utc_now

SNAPSHOT_ID_RE = re.compile(r"^(\d{8}T\d{6}Z)-(\d{6})$")
SNAPSHOTS_DIR = ".snapshots"
CURRENT_LINK = "current"
TMP_PREFIX = ".tmp-"
MANIFEST_SUFFIX = ".manifest.json"
LOCK_FILE = ".lock"
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def tenant_dir(cfg: SyncConfig, tenant: TenantConfig) -> Path:
    return cfg.dest_root / tenant.name


def manifest_path(snap_root: Path, snapshot_id: str) -> Path:
    return snap_root / f"{snapshot_id}{MANIFEST_SUFFIX}"


def read_live_id(tdir: Path) -> str | None:
    """Return the snapshot id ``current`` points at (None if absent/broken).

    Only a link as flip_current writes it (``.snapshots/<id>``) to a real directory counts:
    a snapshot directory replaced by a symlink is not live, so nothing is reused from it."""
    try:
        target = os.readlink(tdir / CURRENT_LINK)
    except OSError:
        return None
    parent, _separator, snapshot_id = target.partition("/")
    if parent != SNAPSHOTS_DIR or not SNAPSHOT_ID_RE.match(snapshot_id):
        return None
    try:
        mode = os.lstat(tdir / SNAPSHOTS_DIR / snapshot_id).st_mode
    except OSError:
        return None
    return snapshot_id if stat.S_ISDIR(mode) else None


def load_manifest(snap_root: Path, snapshot_id: str) -> Manifest | None:
    path = manifest_path(snap_root, snapshot_id)
    try:
        data = json.loads(read_regular_file(path))
        objects = {
            str(key): ObjectEntry(etag=str(v["etag"]), size=int(v["size"]), relpath=str(v["relpath"]))
            for key, v in data["objects"].items()
        }
        rejected = [RejectedKey(str(r["key"]), str(r["reason"])) for r in data.get("rejected", [])]
        marker = data.get("marker_etag")
        return Manifest(
            snapshot_id=snapshot_id,
            objects=objects,
            marker_etag=str(marker) if marker is not None else None,
            rejected=rejected,
            created=str(data.get("created", "")),
        )
    except FileNotFoundError:
        LOG.warning("manifest %s missing; the next change rebuilds the snapshot from S3", path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        LOG.warning("manifest %s unreadable (%s); rebuilding from S3", path, exc)
    return None


def list_snapshot_ids(snap_root: Path) -> list[str]:
    try:
        names = os.listdir(snap_root)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if SNAPSHOT_ID_RE.match(n) and (snap_root / n).is_dir())


def next_snapshot_id(snap_root: Path, now: dt.datetime | None = None) -> str:
    """Return a new id strictly greater than every existing id in ``snap_root``."""
    stamp = (now or utc_now()).astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    counter = 0
    existing: list[str] = []
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(snap_root):
            base = name.removeprefix(TMP_PREFIX)
            base = base.removesuffix(MANIFEST_SUFFIX)
            if SNAPSHOT_ID_RE.match(base):
                existing.append(base)
    if existing:
        newest = max(existing)
        match = SNAPSHOT_ID_RE.match(newest)
        assert match is not None
        if match.group(1) >= stamp:
            stamp, counter = match.group(1), int(match.group(2)) + 1
    return f"{stamp}-{counter:06d}"


def cleanup_stale(tdir: Path) -> None:
    """Remove leftovers of interrupted cycles (tmp snapshot dirs, tmp symlinks)."""
    snap_root = tdir / SNAPSHOTS_DIR
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(snap_root):
            if name.startswith(TMP_PREFIX):
                LOG.info("removing stale %s", snap_root / name)
                remove_path(snap_root / name)
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(tdir):
            if name.startswith(f".{CURRENT_LINK}{TMP_PREFIX}"):
                remove_path(tdir / name)


def prune_snapshots(snap_root: Path, live_id: str | None, keep: int) -> list[str]:
    """Keep the live snapshot plus the ``keep`` newest older ones; delete the rest.

    Snapshots newer than the live one were never published (crash between
    rename and flip) and are deleted, as are dirs without manifest and
    manifests without dir.
    """
    removed: list[str] = []
    ids = list_snapshot_ids(snap_root)
    complete = [i for i in ids if manifest_path(snap_root, i).is_file()]
    older = [i for i in complete if live_id is None or i < live_id]
    retained = set(older[-keep:]) if keep > 0 else set()
    if live_id is not None:
        retained.add(live_id)
    for snapshot_id in ids:
        if snapshot_id not in retained:
            remove_path(snap_root / snapshot_id)
            remove_path(manifest_path(snap_root, snapshot_id))
            removed.append(snapshot_id)
    with contextlib.suppress(FileNotFoundError):
        for name in os.listdir(snap_root):
            is_manifest = name.endswith(MANIFEST_SUFFIX) and not name.startswith(".")
            if is_manifest and name.removesuffix(MANIFEST_SUFFIX) not in retained:
                remove_path(snap_root / name)
    return removed


def open_lock_file(path: Path) -> int:
    """Open (create) the lock file without following a symlink; refuse anything but a regular file."""
    try:
        fd = os.open(path, _LOCK_FLAGS, FILE_MODE)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            managed_exists(path, stat.S_IFREG)  # raises UnsafePath naming what is there
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise unsafe_path(path, mode, stat.S_IFREG)
    return fd


@contextlib.contextmanager
def tenant_lock(tdir: Path) -> Iterator[None]:
    """Exclusive non-blocking flock on ``<tenant>/.lock``; LockBusy when another process holds it."""
    fd = open_lock_file(tdir / LOCK_FILE)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockBusy(f"another sync process holds {tdir / LOCK_FILE}") from exc
            raise
        yield
    finally:
        os.close(fd)


def check_tenant_tree(cfg: SyncConfig, tenant: TenantConfig, tdir: Path) -> None:
    """Refuse a tenant tree whose engine-managed paths are symlinks or not of the type the engine
    creates (``.snapshots`` a directory, ``current`` a symlink, the status file a regular file)."""
    ensure_managed_dir(tdir / SNAPSHOTS_DIR)
    managed_exists(tdir / CURRENT_LINK, stat.S_IFLNK)
    managed_exists(status_file(cfg, tenant), stat.S_IFREG)


def flip_current(tdir: Path, snapshot_id: str, do_fsync: bool) -> None:
    """Atomically point ``current`` at ``.snapshots/<snapshot_id>``."""
    tmp_link = tdir / f".{CURRENT_LINK}{TMP_PREFIX}{snapshot_id}"
    remove_path(tmp_link)
    os.symlink(f"{SNAPSHOTS_DIR}/{snapshot_id}", tmp_link)
    try:
        os.replace(tmp_link, tdir / CURRENT_LINK)
    except OSError:
        remove_path(tmp_link)
        raise
    if do_fsync:
        fsync_dir(tdir)


def status_file(cfg: SyncConfig, tenant: TenantConfig) -> Path:
    return cfg.status_path / f"{tenant.name}.json"
