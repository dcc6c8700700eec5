"""One sync cycle: build a tenant's snapshot (hard links and downloads), publish it, write its status."""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import json
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import SyncConfig, TenantConfig
from .direct_get import DirectGet
from .errors import SyncAborted, SyncError
from .fs import (
    DIR_MODE,
    FILE_MODE,
    atomic_write_json,
    ensure_dir,
    ensure_managed_dir,
    fsync_dir,
    managed_exists,
    read_regular_file,
    remove_path,
    sync_filesystem,
)
from .model import LOG, Listing, Manifest, ObjectEntry, S3ClientLike, TenantResult, describe_error, iso, utc_now
from .s3 import CancelToken, DownloadJob, build_s3_client, download_object, head_marker_etag, list_tenant
from .store import (
    MANIFEST_SUFFIX,
    SNAPSHOTS_DIR,
    TMP_PREFIX,
    check_tenant_tree,
    cleanup_stale,
    flip_current,
    load_manifest,
    manifest_path,
    next_snapshot_id,
    prune_snapshots,
    read_live_id,
    status_file,
    tenant_dir,
    tenant_lock,
)

if TYPE_CHECKING:  # typing.Self is Python 3.11+, the engine runs on 3.9 too
    from typing_extensions import Self

MANIFEST_FORMAT = 1
MAX_REPORTED_REJECTS = 100
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def unchanged(listing: Listing, live: Manifest | None) -> bool:
    return live is not None and listing.entries == live.objects


def make_parent_dirs(root: Path, relpath: str, created: set[str]) -> None:
    parts = relpath.split("/")[:-1]
    current = root
    for i, part in enumerate(parts):
        current = current / part
        marker = "/".join(parts[: i + 1])
        if marker in created:
            continue
        current.mkdir(exist_ok=True)
        os.chmod(current, DIR_MODE)
        created.add(marker)


class LiveFiles:
    """The files of the live snapshot that may be hard-linked into the next one.

    Every directory is opened relative to its parent with ``O_NOFOLLOW``, so a symlink planted
    anywhere in the live tree (or as the snapshot directory itself) is never followed. A file
    qualifies only as the engine placed it: a regular file of the listed size, mode 0644, owned
    by the engine's user; anything else is downloaded again."""

    def __init__(self, snapshot_dir: Path | None) -> None:
        self._root = snapshot_dir  # None: no live snapshot, nothing to link
        self._dir_fds: dict[str, int | None] = {}
        self._uid = os.geteuid()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        for fd in self._dir_fds.values():
            if fd is not None:
                os.close(fd)
        self._dir_fds.clear()

    def link(self, relpath: str, size: int, dst: Path) -> bool:
        """Hard-link the live ``relpath`` to ``dst`` if the engine placed it with ``size`` bytes."""
        reldir, _separator, name = relpath.rpartition("/")
        dir_fd = self._dir_fd(reldir)
        if dir_fd is None:
            return False
        try:
            source = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if not self._placed_by_engine(source, size):
                return False
            os.link(name, dst, src_dir_fd=dir_fd, follow_symlinks=False)
            linked = os.lstat(dst)
        except OSError:
            return False
        if (linked.st_dev, linked.st_ino) == (source.st_dev, source.st_ino):
            return True
        remove_path(dst)  # replaced between the check and the link
        return False

    def _placed_by_engine(self, st: os.stat_result, size: int) -> bool:
        return (
            stat.S_ISREG(st.st_mode)
            and stat.S_IMODE(st.st_mode) == FILE_MODE
            and st.st_uid == self._uid
            and st.st_size == size
        )

    def _dir_fd(self, reldir: str) -> int | None:
        if reldir not in self._dir_fds:
            self._dir_fds[reldir] = self._open_dir(reldir)
        return self._dir_fds[reldir]

    def _open_dir(self, reldir: str) -> int | None:
        if self._root is None:
            return None
        try:
            if not reldir:
                return os.open(self._root, _DIR_FLAGS)
            parent, _separator, name = reldir.rpartition("/")
            parent_fd = self._dir_fd(parent)
            return None if parent_fd is None else os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
        except OSError:
            return None


def download_all(
    client: S3ClientLike,
    cfg: SyncConfig,
    jobs: Sequence[DownloadJob],
    stop: threading.Event | None,
) -> dict[str, tuple[str, int]]:
    """Download ``jobs`` in a bounded pool; first failure cancels the rest."""
    results: dict[str, tuple[str, int]] = {}
    if not jobs:
        return results
    cancel = CancelToken(stop)
    direct = DirectGet.for_client(client, cfg.bucket)
    workers = max(1, min(cfg.parallelism, len(jobs)))
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dagsync")
    try:
        futures = {executor.submit(download_object, client, direct, cfg.bucket, job, cancel): job.key for job in jobs}
        for future in concurrent.futures.as_completed(futures):
            key = futures[future]
            try:
                results[key] = future.result()
            except SyncAborted:
                raise
            except Exception as exc:
                raise SyncError(f"download of s3://{cfg.bucket}/{key} failed: {describe_error(exc)}") from exc
    except BaseException:
        cancel.set()
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    if stop is not None and stop.is_set():
        raise SyncAborted("shutdown requested")
    return results


def link_unchanged(
    snap_root: Path, tmp_dir: Path, listing: Listing, live: Manifest | None
) -> tuple[dict[str, ObjectEntry], list[DownloadJob]]:
    """Create the tree in ``tmp_dir``, hard-link the objects the live snapshot holds unchanged
    (same key, ETag and size); return them and the download jobs of all the others."""
    created: set[str] = set()
    linked: dict[str, ObjectEntry] = {}
    jobs: list[DownloadJob] = []
    live_objects = live.objects if live is not None else {}
    with LiveFiles(snap_root / live.snapshot_id if live is not None else None) as live_files:
        for key in sorted(listing.entries):
            entry = listing.entries[key]
            make_parent_dirs(tmp_dir, entry.relpath, created)
            dst = tmp_dir / entry.relpath
            old = live_objects.get(key)
            reusable = old is not None and (old.etag, old.size) == (entry.etag, entry.size)
            if reusable and live_files.link(entry.relpath, entry.size, dst):
                linked[key] = entry
            else:
                jobs.append(DownloadJob(key, entry, dst))
    return linked, jobs


def build_snapshot(
    client: S3ClientLike,
    cfg: SyncConfig,
    tenant: TenantConfig,
    tdir: Path,
    listing: Listing,
    live: Manifest | None,
    stop: threading.Event | None,
) -> tuple[Manifest, int, int]:
    """Build, publish and prune; return (new manifest, downloaded, linked)."""
    snap_root = tdir / SNAPSHOTS_DIR
    snapshot_id = next_snapshot_id(snap_root)
    tmp_dir = snap_root / f"{TMP_PREFIX}{snapshot_id}"
    tmp_manifest = snap_root / f"{TMP_PREFIX}{snapshot_id}{MANIFEST_SUFFIX}"
    final_dir = snap_root / snapshot_id
    try:
        tmp_dir.mkdir()
        os.chmod(tmp_dir, DIR_MODE)
        objects, jobs = link_unchanged(snap_root, tmp_dir, listing, live)
        linked = len(objects)
        downloaded = download_all(client, cfg, jobs, stop)
        for key, (etag, size) in downloaded.items():
            listed = listing.entries[key]
            objects[key] = ObjectEntry(etag=etag or listed.etag, size=size, relpath=listed.relpath)
        if stop is not None and stop.is_set():
            raise SyncAborted("shutdown requested")
        manifest = Manifest(
            snapshot_id=snapshot_id,
            objects=objects,
            marker_etag=listing.marker_etag,
            rejected=list(listing.rejected),
            created=iso(utc_now()),
        )
        atomic_write_json(tmp_manifest, manifest_json(cfg, tenant, manifest), do_fsync=False)
        if cfg.fsync:
            sync_filesystem(tmp_dir)  # files, directories and manifest durable before they go live
        os.rename(tmp_dir, final_dir)
        os.replace(tmp_manifest, manifest_path(snap_root, snapshot_id))
        if cfg.fsync:
            fsync_dir(snap_root)
        flip_current(tdir, snapshot_id, cfg.fsync)
    finally:
        remove_path(tmp_dir)
        remove_path(tmp_manifest)
    pruned = prune_snapshots(snap_root, snapshot_id, cfg.keep)
    if pruned:
        LOG.debug("tenant=%s pruned snapshots %s", tenant.name, ", ".join(pruned))
    return manifest, len(downloaded), linked


def manifest_json(cfg: SyncConfig, tenant: TenantConfig, manifest: Manifest) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "tenant": tenant.name,
        "snapshot_id": manifest.snapshot_id,
        "created": manifest.created,
        "bucket": cfg.bucket,
        "prefix": cfg.tenant_prefix(tenant),
        "marker_etag": manifest.marker_etag,
        "objects": {key: entry.to_json() for key, entry in sorted(manifest.objects.items())},
        "rejected": [r.to_json() for r in manifest.rejected],
    }


def sync_tenant(
    client: S3ClientLike,
    cfg: SyncConfig,
    tenant: TenantConfig,
    stop: threading.Event | None = None,
    write_status: bool = True,
) -> TenantResult:
    """Run one sync cycle for one tenant; never raises for sync failures.

    Only the holder of the tenant lock writes the status file, and while it still holds the
    lock: a process that loses the race (or cannot take the lock) only logs its error."""
    started = time.monotonic()
    attempt = utc_now()
    result = TenantResult(tenant=tenant.name)
    with contextlib.ExitStack() as lock:
        try:
            _locked_cycle(client, cfg, tenant, lock, stop, result)
            result.ok = True
        except SyncAborted as exc:
            result.aborted = True
            result.error = describe_error(exc)
        except Exception as exc:  # noqa: BLE001 - one tenant's failure is reported, the others still sync
            result.error = describe_error(exc)
            LOG.debug("tenant=%s cycle failed", tenant.name, exc_info=True)
        result.duration_s = round(time.monotonic() - started, 3)
        log_result(result)
        if write_status and result.lock_held and not result.aborted:
            try:
                write_status_file(cfg, tenant, result, attempt)
            except (OSError, SyncError) as exc:
                LOG.error("tenant=%s cannot write status file: %s", tenant.name, exc)
    return result


def _locked_cycle(
    client: S3ClientLike,
    cfg: SyncConfig,
    tenant: TenantConfig,
    lock: contextlib.ExitStack,
    stop: threading.Event | None,
    result: TenantResult,
) -> None:
    """Take the tenant lock (kept by ``lock`` until the caller has written the status), check the
    tenant tree, then run the cycle."""
    tdir = tenant_dir(cfg, tenant)
    ensure_dir(cfg.dest_root)
    ensure_managed_dir(tdir)
    lock.enter_context(tenant_lock(tdir))
    result.lock_held = True
    check_tenant_tree(cfg, tenant, tdir)
    cleanup_stale(tdir)
    live_id = read_live_id(tdir)
    live = load_manifest(tdir / SNAPSHOTS_DIR, live_id) if live_id else None
    result.snapshot_id = live_id
    if live is not None:
        result.objects, result.bytes = len(live.objects), live.total_bytes
    _run_tenant(client, cfg, tenant, tdir, live, stop, result)


def _run_tenant(
    client: S3ClientLike,
    cfg: SyncConfig,
    tenant: TenantConfig,
    tdir: Path,
    live: Manifest | None,
    stop: threading.Event | None,
    result: TenantResult,
) -> None:
    prefix = cfg.tenant_prefix(tenant)
    if tenant.marker is not None:
        marker_etag = head_marker_etag(client, cfg.bucket, prefix + tenant.marker)
        result.marker_present = marker_etag is not None
        if marker_etag is None:
            return
        if live is not None and live.marker_etag == marker_etag:
            result.rejected = list(live.rejected)
            return
    listing = list_tenant(client, cfg.bucket, prefix, tenant)
    result.rejected = list(listing.rejected)
    if tenant.marker is not None:
        result.marker_present = listing.marker_etag is not None
        if listing.marker_etag is None or (live is not None and live.marker_etag == listing.marker_etag):
            return
    elif unchanged(listing, live):
        return
    if stop is not None and stop.is_set():
        raise SyncAborted("shutdown requested")
    manifest, downloaded, linked = build_snapshot(client, cfg, tenant, tdir, listing, live, stop)
    result.changed = True
    result.snapshot_id = manifest.snapshot_id
    result.objects, result.bytes = len(manifest.objects), manifest.total_bytes
    result.downloaded, result.linked = downloaded, linked


def log_result(result: TenantResult) -> None:
    level = logging.INFO if result.ok else logging.ERROR
    if result.aborted:
        level = logging.WARNING
    rejected = ""
    if result.rejected:
        shown = ", ".join(f"{r.key!r} ({r.reason})" for r in result.rejected[:5])
        more = f" +{len(result.rejected) - 5} more" if len(result.rejected) > 5 else ""
        rejected = f" rejected_keys=[{shown}{more}]"
    LOG.log(
        level,
        "tenant=%s ok=%s changed=%s snapshot=%s objects=%d bytes=%d downloaded=%d linked=%d "
        "rejected=%d duration=%.3fs error=%s%s",
        result.tenant,
        result.ok,
        result.changed,
        result.snapshot_id,
        result.objects,
        result.bytes,
        result.downloaded,
        result.linked,
        len(result.rejected),
        result.duration_s,
        result.error,
        rejected,
    )


def read_previous_status(path: Path) -> dict[str, Any]:
    """The status file's last contents ({} if missing or unreadable); UnsafePath if it is a symlink
    or not a regular file (it is then never written)."""
    if not managed_exists(path, stat.S_IFREG):
        return {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(read_regular_file(path))
        if isinstance(loaded, dict):
            return loaded
    return {}


def write_status_file(cfg: SyncConfig, tenant: TenantConfig, result: TenantResult, attempt: dt.datetime) -> None:
    path = status_file(cfg, tenant)
    ensure_dir(path.parent)
    previous = read_previous_status(path)
    status = {
        "tenant": tenant.name,
        "ok": result.ok,
        "last_attempt": iso(attempt),
        "last_success": iso(attempt) if result.ok else previous.get("last_success"),
        "snapshot": result.snapshot_id,
        "objects": result.objects,
        "bytes": result.bytes,
        "changed": result.changed,
        "downloaded": result.downloaded,
        "linked": result.linked,
        "duration_s": result.duration_s,
        "last_error": result.error,
        "rejected": [r.to_json() for r in result.rejected[:MAX_REPORTED_REJECTS]],
        "rejected_count": len(result.rejected),
        "marker": tenant.marker,
        "marker_present": result.marker_present,
        "bucket": cfg.bucket,
        "prefix": cfg.tenant_prefix(tenant),
    }
    atomic_write_json(path, status, cfg.fsync)


def run_cycle(
    cfg: SyncConfig,
    client: S3ClientLike | None = None,
    stop: threading.Event | None = None,
    client_factory: Callable[[SyncConfig], S3ClientLike] | None = None,
) -> list[TenantResult]:
    """Run one cycle over all tenants (sequentially); one failure never stops the others."""
    if client is None:
        client = (client_factory or build_s3_client)(cfg)
    results: list[TenantResult] = []
    for tenant in cfg.tenants:
        if stop is not None and stop.is_set():
            break
        results.append(sync_tenant(client, cfg, tenant, stop))
    return results
