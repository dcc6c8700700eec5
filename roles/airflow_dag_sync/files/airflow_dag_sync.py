#!/usr/bin/env python3
"""Multi-tenant, atomic S3 -> local DAG folder synchroniser for Apache Airflow.

Each configured tenant maps to a prefix ``<base_prefix>/<tenant_prefix>/`` in
one S3 (or S3-compatible) bucket.  Every cycle the engine lists that prefix,
compares it with the manifest of the live snapshot and, only if something
changed, builds a complete new snapshot next to the live one and publishes it
by atomically replacing a symlink.  Airflow reads ``<dest_root>/<tenant>/current``
and therefore never sees a half-written tree.

Tenants are isolated: two tenants whose full key prefixes (base prefix + tenant
prefix, by default the tenant's name) are identical or nested on a ``/``
boundary (``team_a`` and ``team_a/ml``, or an empty tenant prefix next to any
other) are a configuration error, since one tenant's files would be published
in the other's bundle; ``team_a`` and ``team_ab`` do not overlap.

On-disk layout (per tenant)::

    <dest_root>/<tenant>/
        current -> .snapshots/<id>          relative symlink, flipped atomically
        .lock                               flock(2) held while a cycle runs
        .snapshots/
            <id>/                           immutable snapshot tree (dirs 0755, files 0644)
            <id>.manifest.json              manifest of that snapshot
            .tmp-<id>/                      snapshot under construction (never live)
    <status_dir>/<tenant>.json              status file (default <dest_root>/.status)

Manifest choice: the manifest is stored *beside* the snapshot directory as
``.snapshots/<id>.manifest.json`` (not inside the tree that Airflow parses), so
it can never be picked up as a DAG file and the snapshot contains exactly the
synced objects.  Format::

    {"format": 1, "tenant": ..., "snapshot_id": ..., "created": <ISO UTC>,
     "bucket": ..., "prefix": ..., "marker_etag": <str|null>,
     "objects": {<s3 key>: {"etag": ..., "size": ..., "relpath": ...}},
     "rejected": [{"key": ..., "reason": ...}]}

Snapshot ids are ``YYYYMMDDTHHMMSSZ-NNNNNN`` (UTC time + counter), strictly
increasing per tenant and therefore sortable.

A cycle for one tenant:

1. take the tenant lock, refuse the tenant tree if an engine-managed path (the
   tenant dir, ``.lock``, ``.snapshots``, ``current``, the status file) is a
   symlink or not of the type the engine creates, remove stale ``.tmp-*``
   leftovers of interrupted cycles;
2. list the prefix (``list_objects_v2`` paginator), skip ``.../`` directory
   markers, reject unsafe keys (``..``/``.`` segments, absolute paths,
   backslashes, empty segments, NUL/control characters), enforce the optional
   ``max_objects``/``max_bytes`` limits;
3. compare key set, ETag *and* size with the live manifest; if identical do
   nothing (only the status file is rewritten);
4. otherwise build ``.snapshots/.tmp-<id>``: hard-link unchanged files from the
   live snapshot (only regular files as the engine placed them, reached without
   following any symlink; anything else is downloaded again), download
   new/changed objects in parallel (temp name + rename; each must have the listed
   size and, for a single-part ETag of an object not under SSE-KMS/SSE-C, the
   ETag's MD5), write the manifest, flush the snapshot's filesystem once (``syncfs``, not one
   ``fsync`` per file: the same guarantee before publishing for a fraction of the
   cost), rename the tmp dir to ``<id>``, flip ``current`` (new symlink under a
   temp name + ``os.replace``, directory fsynced) and prune all but the ``keep``
   most recent previous snapshots.

Any listing or download failure aborts the tenant's cycle: the tmp dir is
removed and the live snapshot stays untouched.  A killed process leaves at most
a ``.tmp-*`` dir, which is never live and is removed by the next cycle.
Only the process holding the tenant lock writes the tenant's status file (while
it holds the lock); a process that loses the race only logs its error.

Publish-marker mode (per tenant ``marker``, a key relative to the tenant
prefix such as ``_PUBLISHED``): a new snapshot is taken only when the marker
object's ETag differs from the one recorded in the live manifest; the marker
itself is not copied.  Without a marker object nothing is published.
Publishers should upload all files first and then (re)write the marker.

Credentials come exclusively from the standard AWS credential chain (boto3
default session, optionally a named ``profile``); no secret can be passed on
the command line or in the config file, and none is logged: even with
``--log-level DEBUG`` the botocore/boto3/s3transfer/urllib3 loggers stay at
INFO, as their DEBUG output holds signed headers, session tokens and presigned URLs.

Usage::

    airflow_dag_sync.py --config /etc/airflow/dag_sync.json [--once]
    airflow_dag_sync.py --bucket B --base-prefix dags --tenant team-a=team-a \\
        --dest-root /opt/airflow/dags --once

Exit codes: 0 success (or graceful stop of the loop), 1 at least one tenant
failed in ``--once`` mode, 2 configuration error.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import ctypes
import dataclasses
import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import os
import random
import re
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO, Optional, Protocol, TypeVar, Union
from urllib.parse import quote

LOG = logging.getLogger("airflow_dag_sync")

TENANT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SNAPSHOT_ID_RE = re.compile(r"^(\d{8}T\d{6}Z)-(\d{6})$")
SNAPSHOTS_DIR = ".snapshots"
CURRENT_LINK = "current"
TMP_PREFIX = ".tmp-"
MANIFEST_SUFFIX = ".manifest.json"
LOCK_FILE = ".lock"
MANIFEST_FORMAT = 1
DIR_MODE = 0o755
FILE_MODE = 0o644
CHUNK_SIZE = 1024 * 1024
MAX_REPORTED_REJECTS = 100
MAX_SEGMENT_BYTES = 255

DEFAULT_INTERVAL = 10.0
DEFAULT_JITTER = 1.0
DEFAULT_PARALLELISM = 16
DEFAULT_KEEP = 2

_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_SIZE_MULT = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_FORBIDDEN_CONFIG_KEYS = frozenset(
    {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "access_key", "secret_key"}
)
# A single-part upload's ETag: the hex MD5 of the object's bytes (unless SSE-KMS or SSE-C encrypted).
_MD5_ETAG_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_KMS_ENCRYPTION = frozenset({"aws:kms", "aws:kms:dsse"})
# Loggers that print signed headers, session tokens and presigned URLs at DEBUG.
SDK_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")
# Opening engine-managed paths never follows a symlink in their last component.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_KIND_NAMES = {stat.S_IFDIR: "a directory", stat.S_IFREG: "a regular file", stat.S_IFLNK: "a symlink"}


# --------------------------------------------------------------------------- errors


class ConfigError(Exception):
    """Invalid configuration."""


class SyncError(Exception):
    """A tenant cycle failed; the live snapshot is kept."""


class LimitExceeded(SyncError):
    """The tenant exceeds max_objects or max_bytes."""


class SyncAborted(SyncError):
    """Shutdown was requested while the cycle was running."""


class LockBusy(SyncError):
    """Another process holds the tenant lock (it alone writes the tenant's status)."""


class UnsafePath(SyncError):
    """An engine-managed path is a symlink or not of the type the engine creates."""


class IntegrityError(SyncError):
    """A downloaded body does not match the listed size or MD5 ETag."""


# --------------------------------------------------------------------------- types


class S3ClientLike(Protocol):
    """The subset of a boto3 S3 client used by the engine."""

    def get_paginator(self, operation_name: str) -> Any: ...

    def get_object(self, **kwargs: Any) -> Any: ...

    def head_object(self, **kwargs: Any) -> Any: ...


class Digest(Protocol):
    """A running hash (``hashlib.md5()``)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


@dataclass(frozen=True)
class TenantConfig:
    """One tenant: name, sub-prefix under the base prefix, optional limits/marker."""

    name: str
    prefix: str = ""
    max_objects: int | None = None
    max_bytes: int | None = None
    marker: str | None = None


@dataclass(frozen=True)
class SyncConfig:
    """Global configuration of the engine."""

    bucket: str
    dest_root: Path
    tenants: tuple[TenantConfig, ...]
    base_prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    addressing_style: str | None = None
    ca_bundle: str | None = None
    interval: float = DEFAULT_INTERVAL
    jitter: float = DEFAULT_JITTER
    parallelism: int = DEFAULT_PARALLELISM
    keep: int = DEFAULT_KEEP
    status_dir: Path | None = None
    fsync: bool = True
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 3

    @property
    def status_path(self) -> Path:
        return self.status_dir if self.status_dir is not None else self.dest_root / ".status"

    def tenant_prefix(self, tenant: TenantConfig) -> str:
        return join_prefix(self.base_prefix, tenant.prefix)


@dataclass(frozen=True)
class ObjectEntry:
    """One object of a snapshot (manifest value)."""

    etag: str
    size: int
    relpath: str

    def to_json(self) -> dict[str, Any]:
        return {"etag": self.etag, "size": self.size, "relpath": self.relpath}


@dataclass(frozen=True)
class RejectedKey:
    key: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "reason": self.reason}


@dataclass
class Listing:
    """Result of listing a tenant prefix."""

    entries: dict[str, ObjectEntry] = field(default_factory=dict)
    rejected: list[RejectedKey] = field(default_factory=list)
    marker_etag: str | None = None
    total_bytes: int = 0


@dataclass
class Manifest:
    snapshot_id: str
    objects: dict[str, ObjectEntry]
    marker_etag: str | None = None
    rejected: list[RejectedKey] = field(default_factory=list)
    created: str = ""

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.objects.values())


@dataclass
class TenantResult:
    """Outcome of one tenant cycle."""

    tenant: str
    ok: bool = False
    changed: bool = False
    snapshot_id: str | None = None
    objects: int = 0
    bytes: int = 0
    downloaded: int = 0
    linked: int = 0
    rejected: list[RejectedKey] = field(default_factory=list)
    error: str | None = None
    duration_s: float = 0.0
    marker_present: bool | None = None
    aborted: bool = False
    lock_held: bool = False


# --------------------------------------------------------------------------- helpers


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def join_prefix(*parts: str) -> str:
    """Join S3 prefix parts with '/', always ending in '/' unless empty."""
    cleaned = [p.strip("/") for p in parts if p and p.strip("/")]
    return "/".join(cleaned) + "/" if cleaned else ""


def normalize_etag(value: Any) -> str:
    return str(value or "").strip().strip('"')


def parse_size(value: Any) -> int | None:
    """Parse a byte size: int or string with optional K/M/G/T suffix (binary)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(f"invalid size: {value!r}")
    if isinstance(value, int):
        result = value
    else:
        match = _SIZE_RE.match(str(value))
        if not match:
            raise ConfigError(f"invalid size: {value!r}")
        result = int(match.group(1)) * _SIZE_MULT[match.group(2).lower()]
    if result < 0:
        raise ConfigError(f"size must be >= 0: {value!r}")
    return result


def relpath_problem(rel: str) -> str | None:
    """Return why ``rel`` is not a safe relative path, or None if it is safe."""
    if not rel:
        return "empty relative path"
    if "\x00" in rel:
        return "contains NUL byte"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in rel):
        return "contains control character"
    if "\\" in rel:
        return "contains backslash"
    if rel.startswith("/"):
        return "absolute path"
    segments = rel.split("/")
    if any(seg == "" for seg in segments):
        return "empty path segment"
    if any(seg in (".", "..") for seg in segments):
        return "'.' or '..' path segment"
    if any(len(seg.encode("utf-8", "surrogateescape")) > MAX_SEGMENT_BYTES for seg in segments):
        return "path segment too long"
    return None


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sync_filesystem(path: Path) -> None:
    """Flush every file and directory of the filesystem holding ``path`` to disk.

    One ``syncfs(2)`` replaces an ``fsync`` per downloaded file and directory of a snapshot;
    ``os.sync()`` where the C library has no ``syncfs``."""
    syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"syncfs({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def ensure_dir(path: Path) -> None:
    """Create ``path`` (and parents) with mode 0755; existing dirs keep their mode."""
    if path.is_dir():
        return
    ensure_dir(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        if not path.is_dir():
            raise
        return
    os.chmod(path, DIR_MODE)


@contextlib.contextmanager
def atomic_file(path: Path, do_fsync: bool, prefix: str, suffix: str) -> Iterator[BinaryIO]:
    """Yield a temp file beside ``path``; on success flush, fsync, chmod and rename it over
    ``path``, on any failure remove it (readers never see a partial file)."""
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if do_fsync:
                os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, data: Mapping[str, Any], do_fsync: bool = True) -> None:
    """Write JSON to ``path`` atomically (temp file in same dir + os.replace)."""
    with atomic_file(path, do_fsync, prefix=f".{path.name}.", suffix=".tmp") as fh:
        fh.write((json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def remove_path(path: Path) -> None:
    """Remove a file, symlink or directory tree; ignore if missing."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


def unsafe_path(path: Path, mode: int, expected: int) -> UnsafePath:
    """The error for an engine-managed ``path`` found with ``mode`` where the engine keeps ``expected``."""
    found = _KIND_NAMES.get(stat.S_IFMT(mode), "a special file")
    return UnsafePath(
        f"{path} is {found}, not {_KIND_NAMES[expected]} as the engine creates it: refusing to use it "
        "(nothing is published for this tenant until it is removed)"
    )


def managed_exists(path: Path, expected: int) -> bool:
    """Whether the engine-managed ``path`` exists, without following a symlink.

    False when it is missing; UnsafePath when it exists as anything but ``expected``
    (``stat.S_IFDIR``, ``S_IFREG`` or ``S_IFLNK``), e.g. a symlink planted where the
    engine keeps a directory or a file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return False
    if stat.S_IFMT(mode) != expected:
        raise unsafe_path(path, mode, expected)
    return True


def ensure_managed_dir(path: Path) -> None:
    """Create the engine-managed directory ``path`` (mode 0755) unless it exists as a real directory;
    refuse a symlink or anything else in its place."""
    if managed_exists(path, stat.S_IFDIR):
        return
    try:
        os.mkdir(path)
    except FileExistsError:
        managed_exists(path, stat.S_IFDIR)  # created meanwhile: fine if it is a directory
        return
    os.chmod(path, DIR_MODE)


def read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``; OSError if it is a symlink or not a regular file."""
    fd = os.open(path, _READ_FLAGS)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        return fh.read()


def is_not_found(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in {"404", "NoSuchKey", "NotFound"} or status == 404


def describe_error(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    if isinstance(exc, SyncError):
        return text
    return f"{exc.__class__.__name__}: {text}"


# --------------------------------------------------------------------------- snapshot store


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
    parent, _, snapshot_id = target.partition("/")
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
            base = name[len(TMP_PREFIX) :] if name.startswith(TMP_PREFIX) else name
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
            if name.endswith(MANIFEST_SUFFIX) and not name.startswith("."):
                if name.removesuffix(MANIFEST_SUFFIX) not in retained:
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


# --------------------------------------------------------------------------- S3


def build_s3_client(cfg: SyncConfig) -> S3ClientLike:
    """Build a boto3 S3 client from the default credential chain."""
    import boto3  # imported lazily so --help / config checks work without boto3
    from botocore.config import Config as BotoConfig

    session = boto3.session.Session(profile_name=cfg.profile, region_name=cfg.region)
    s3_options: dict[str, str] = {}
    if cfg.addressing_style:
        s3_options["addressing_style"] = cfg.addressing_style
    boto_cfg = BotoConfig(
        connect_timeout=cfg.connect_timeout,
        read_timeout=cfg.read_timeout,
        retries={"max_attempts": cfg.max_attempts, "mode": "standard"},
        max_pool_connections=max(10, cfg.parallelism),
        s3=s3_options or None,
    )
    kwargs: dict[str, Any] = {"config": boto_cfg}
    if cfg.endpoint_url:
        kwargs["endpoint_url"] = cfg.endpoint_url
    if cfg.ca_bundle:
        kwargs["verify"] = cfg.ca_bundle
    client: S3ClientLike = session.client("s3", **kwargs)
    return client


def head_marker_etag(client: S3ClientLike, bucket: str, key: str) -> str | None:
    """ETag of the marker object, or None if it does not exist."""
    try:
        response = client.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise
    return normalize_etag(response.get("ETag"))


def list_tenant(client: S3ClientLike, bucket: str, prefix: str, tenant: TenantConfig) -> Listing:
    """List and validate all objects of a tenant; enforce limits while listing."""
    listing = Listing()
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []) or []:
            key = str(obj["Key"])
            if key.endswith("/") or not key.startswith(prefix):
                continue
            rel = key[len(prefix) :]
            etag = normalize_etag(obj.get("ETag")) or f"lm:{obj.get('LastModified')}"
            size = int(obj.get("Size", 0))
            if tenant.marker is not None and rel == tenant.marker:
                listing.marker_etag = etag
                continue
            problem = relpath_problem(rel)
            if problem:
                listing.rejected.append(RejectedKey(key, problem))
                continue
            listing.entries[key] = ObjectEntry(etag=etag, size=size, relpath=rel)
            listing.total_bytes += size
            check_limits(tenant, len(listing.entries), listing.total_bytes)
    reject_conflicts(listing)
    return listing


def check_limits(tenant: TenantConfig, count: int, total: int) -> None:
    if tenant.max_objects is not None and count > tenant.max_objects:
        raise LimitExceeded(
            f"tenant {tenant.name}: more than max_objects={tenant.max_objects} objects under its prefix"
        )
    if tenant.max_bytes is not None and total > tenant.max_bytes:
        raise LimitExceeded(
            f"tenant {tenant.name}: total size exceeds max_bytes={tenant.max_bytes} (at least {total} bytes)"
        )


def reject_conflicts(listing: Listing) -> None:
    """Reject files whose path is also needed as a directory (``a`` and ``a/b``)."""
    dirs: set[str] = set()
    for entry in listing.entries.values():
        parts = entry.relpath.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    for key, entry in list(listing.entries.items()):
        if entry.relpath in dirs:
            del listing.entries[key]
            listing.total_bytes -= entry.size
            listing.rejected.append(RejectedKey(key, "file conflicts with a directory of the same path"))


class CancelToken:
    """Cancellation flag for one download batch, also tripped by the global stop event."""

    def __init__(self, stop: threading.Event | None = None) -> None:
        self._local = threading.Event()
        self._stop = stop

    def set(self) -> None:
        self._local.set()

    def is_set(self) -> bool:
        return self._local.is_set() or (self._stop is not None and self._stop.is_set())


@dataclass
class OpenObject:
    """An object whose body is being received."""

    body: Any  # .read(n) and .close(), a botocore StreamingBody (checksum-validating when S3 sent one)
    etag: str
    length: int | None
    etag_is_md5: bool = True  # False for SSE-KMS / SSE-C objects, whose ETag is no MD5 of the bytes


def etag_is_content_md5(encryption: Any, customer_algorithm: Any) -> bool:
    """Whether a single-part ETag is the MD5 of the object's bytes: not under SSE-KMS or SSE-C."""
    return customer_algorithm is None and str(encryption or "").lower() not in _KMS_ENCRYPTION


def is_md5_etag(etag: str) -> bool:
    """A single-part upload's ETag (32 hex digits); multipart ones end in ``-<parts>``."""
    return _MD5_ETAG_RE.match(etag) is not None


class DirectGet:
    """GetObject through the client's own signer and connection pool, without its per-call machinery.

    ``client.get_object`` spends about 1.5 ms of CPU per call on building, validating
    and parsing, and a cold sync is thousands of small GETs that share one GIL.  This
    path signs a plain GET with the client's request signer and sends it over the
    client's HTTP session, so endpoint, addressing style, credentials, proxies and CA
    bundle are the client's; it costs about a third of the CPU.  Anything but a 200
    (and any connection error) goes back to ``client.get_object``, whose retries,
    redirects and error messages then apply.  A redirect or an authorisation error
    also turns the direct path off for the rest of the batch (a bucket in another
    region, S3 Express, access points: cases botocore knows how to handle).  The
    full-object checksum S3 returns is validated by botocore's own response handling,
    with the algorithms get_object would use."""

    PLACEHOLDER = "airflow-dag-sync-placeholder"
    DISABLING_STATUS = frozenset({301, 302, 307, 308, 400, 403})

    def __init__(self, client: Any, base_url: str) -> None:
        from botocore.awsrequest import AWSRequest
        from botocore.hooks import first_non_none_response
        from botocore.httpchecksum import handle_checksum_body, resolve_response_checksum_algorithms
        from botocore.response import StreamingBody

        self._request_cls = AWSRequest
        self._first_response = first_non_none_response
        self._body_cls = StreamingBody
        self._checksum_body = handle_checksum_body
        self._operation = client.meta.service_model.operation_model("GetObject")
        request_dict: dict[str, Any] = {"context": {}}
        resolve_response_checksum_algorithms(request_dict, self._operation, {"ChecksumMode": "ENABLED"})
        self._checksum_context = request_dict["context"]
        self._signer = client._request_signer
        self._http = client._endpoint.http_session
        self._events = client.meta.events
        self._base_url = base_url
        self._lock = threading.Lock()
        self.disabled = False
        self.fallbacks = 0

    @classmethod
    def for_client(cls, client: Any, bucket: str) -> DirectGet | None:
        """The direct path for a botocore client, or None (another client, no credentials)."""
        if not all(hasattr(client, name) for name in ("_request_signer", "_endpoint", "generate_presigned_url")):
            return None
        try:
            # The URL botocore itself would use for a key: endpoint, addressing style, bucket.
            url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": cls.PLACEHOLDER})
        except Exception as exc:
            LOG.debug("direct GET unavailable, using the boto3 client: %s", describe_error(exc))
            return None
        base, found, _ = url.partition(cls.PLACEHOLDER)
        return cls(client, base) if found else None

    def open(self, key: str) -> OpenObject | None:
        """The object's body, or None when ``client.get_object`` must handle this key."""
        if self.disabled:
            return None
        try:
            response = self._send(key)
        except Exception as exc:
            LOG.debug("direct GET of %s failed, retrying with the boto3 client: %s", key, describe_error(exc))
            self._fell_back(None)
            return None
        status = int(response.status_code)
        if status != 200:
            with contextlib.suppress(Exception):
                _ = response.content  # reads the error body: the connection goes back to the pool
            self._fell_back(status)
            return None
        headers = response.headers
        length = int(headers["content-length"]) if "content-length" in headers else None
        parsed: dict[str, Any] = {"headers": headers, "context": {}}
        self._checksum_body(response, parsed, self._checksum_context, self._operation)  # sets a checking body
        return OpenObject(
            body=parsed["body"] if "body" in parsed else self._body_cls(response.raw, length),
            etag=normalize_etag(headers.get("etag")),
            length=length,
            etag_is_md5=etag_is_content_md5(
                headers.get("x-amz-server-side-encryption"),
                headers.get("x-amz-server-side-encryption-customer-algorithm"),
            ),
        )

    def _send(self, key: str) -> Any:
        request = self._request_cls(
            method="GET",
            url=self._base_url + quote(key, safe="/~"),
            headers={"x-amz-checksum-mode": "ENABLED"},
            stream_output=True,
        )
        self._signer.sign("GetObject", request)
        prepared = request.prepare()
        # What botocore's endpoint does: a before-send hook may answer (moto, stubs).
        response = self._first_response(self._events.emit("before-send.s3.GetObject", request=prepared))
        return response if response is not None else self._http.send(prepared)

    def _fell_back(self, status: int | None) -> None:
        with self._lock:
            self.fallbacks += 1
            if status in self.DISABLING_STATUS and not self.disabled:
                self.disabled = True
                LOG.info("direct GET answered HTTP %s; the boto3 client downloads the rest of this batch", status)


def open_object(client: S3ClientLike, direct: DirectGet | None, bucket: str, key: str) -> OpenObject:
    opened = direct.open(key) if direct is not None else None
    if opened is not None:
        return opened
    response = client.get_object(Bucket=bucket, Key=key)
    length = response.get("ContentLength")
    return OpenObject(
        body=response["Body"],
        etag=normalize_etag(response.get("ETag")),
        length=int(length) if length is not None else None,
        etag_is_md5=etag_is_content_md5(response.get("ServerSideEncryption"), response.get("SSECustomerAlgorithm")),
    )


@dataclass(frozen=True)
class DownloadJob:
    """One object to download into the snapshot under construction, as the listing describes it."""

    key: str
    listed: ObjectEntry
    dst: Path


def copy_body(body: Any, out: BinaryIO, digest: Digest | None, cancel: CancelToken) -> int:
    """Copy ``body`` to ``out`` (and into ``digest``); return the number of bytes written."""
    size = 0
    while True:
        if cancel.is_set():
            raise SyncAborted("download cancelled")
        chunk = body.read(CHUNK_SIZE)
        if not chunk:
            return size
        out.write(chunk)
        if digest is not None:
            digest.update(chunk)
        size += len(chunk)


def verify_download(url: str, listed: ObjectEntry, size: int, digest: Digest | None) -> None:
    """The written bytes must have the listed size and, when ``digest`` is given, the listed MD5 ETag."""
    if size != listed.size:
        raise IntegrityError(f"size mismatch for {url}: listed {listed.size} bytes, received {size}")
    if digest is not None and digest.hexdigest() != listed.etag.lower():
        raise IntegrityError(
            f"MD5 mismatch for {url}: the received bytes hash to {digest.hexdigest()}, the listed ETag is {listed.etag}"
        )


def download_object(
    client: S3ClientLike,
    direct: DirectGet | None,
    bucket: str,
    job: DownloadJob,
    cancel: CancelToken,
) -> tuple[str, int]:
    """Download ``job.key`` to ``job.dst`` via a temp file + rename; return (etag, size).

    The bytes must match the listed size and, for a single-part object (not SSE-KMS/SSE-C),
    the MD5 its listed ETag gives; otherwise the temp file is removed and IntegrityError raised.
    Not fsynced: build_snapshot flushes the whole snapshot once before publishing it."""
    if cancel.is_set():
        raise SyncAborted("download cancelled")
    url = f"s3://{bucket}/{job.key}"
    with atomic_file(job.dst, False, prefix=".dagsync-", suffix=".part") as fh:
        obj = open_object(client, direct, bucket, job.key)
        check_md5 = obj.etag_is_md5 and is_md5_etag(job.listed.etag)
        digest = hashlib.md5(usedforsecurity=False) if check_md5 else None
        try:
            size = copy_body(obj.body, fh, digest, cancel)
        finally:
            with contextlib.suppress(Exception):
                obj.body.close()
        if obj.length is not None and obj.length != size:
            raise SyncError(f"short read for {url}: got {size} of {obj.length} bytes")
        verify_download(url, job.listed, size, digest)
    return obj.etag, size


# --------------------------------------------------------------------------- snapshot build


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

    def __enter__(self) -> LiveFiles:
        return self

    def __exit__(self, *_exc: object) -> None:
        for fd in self._dir_fds.values():
            if fd is not None:
                os.close(fd)
        self._dir_fds.clear()

    def link(self, relpath: str, size: int, dst: Path) -> bool:
        """Hard-link the live ``relpath`` to ``dst`` if the engine placed it with ``size`` bytes."""
        reldir, _, name = relpath.rpartition("/")
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
            parent, _, name = reldir.rpartition("/")
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


# --------------------------------------------------------------------------- tenant cycle


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
        except Exception as exc:
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


def status_file(cfg: SyncConfig, tenant: TenantConfig) -> Path:
    return cfg.status_path / f"{tenant.name}.json"


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


# --------------------------------------------------------------------------- configuration


_Number = TypeVar("_Number", int, float)


def _opt_number(value: Any, name: str, minimum: _Number, kind: type[_Number]) -> _Number | None:
    """Parse an optional int or float option, refusing booleans and values below the minimum."""
    if value is None:
        return None
    noun = "an integer" if kind is int else "a number"
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be {noun}")
    try:
        number = kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be {noun}, got {value!r}") from exc
    if number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {number}")
    return number


def _opt_int(value: Any, name: str, minimum: int) -> int | None:
    return _opt_number(value, name, minimum, int)


def _opt_float(value: Any, name: str, minimum: float) -> float | None:
    return _opt_number(value, name, minimum, float)


def _opt_str(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string")
    return value


def validate_marker(marker: str | None, tenant: str) -> str | None:
    if marker is None or marker == "":
        return None
    problem = relpath_problem(marker)
    if problem:
        raise ConfigError(f"tenant {tenant}: invalid marker {marker!r}: {problem}")
    return marker


_TENANT_KEYS = frozenset({"name", "prefix", "max_objects", "max_bytes", "marker"})


def parse_tenant(name: str, spec: Any, defaults: Mapping[str, Any]) -> TenantConfig:
    """Build a TenantConfig from a prefix string or a mapping; apply global defaults."""
    if not isinstance(name, str) or not TENANT_NAME_RE.match(name):
        raise ConfigError(f"invalid tenant name {name!r} (must match {TENANT_NAME_RE.pattern})")
    if spec is None:
        spec = {}
    if isinstance(spec, str):
        spec = {"prefix": spec}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"tenant {name}: expected a prefix string or a mapping")
    unknown = set(spec) - _TENANT_KEYS
    if unknown:
        raise ConfigError(f"tenant {name}: unknown keys {sorted(unknown)}")
    prefix = spec.get("prefix", name)
    if prefix is None:
        prefix = ""
    if not isinstance(prefix, str):
        raise ConfigError(f"tenant {name}: prefix must be a string")
    merged = {k: defaults.get(k) for k in ("max_objects", "max_bytes", "marker")}
    merged.update({k: spec[k] for k in ("max_objects", "max_bytes", "marker") if k in spec})
    return TenantConfig(
        name=name,
        prefix=prefix,
        max_objects=_opt_int(merged["max_objects"], f"tenant {name}: max_objects", 0),
        max_bytes=parse_size(merged["max_bytes"]),
        marker=validate_marker(_opt_str(merged["marker"], f"tenant {name}: marker"), name),
    )


def normalized_prefix(base_prefix: str, tenant_prefix: str) -> str:
    """The tenant's full key prefix without empty segments, ending in '/' ('' for the whole bucket)."""
    parts = [part for part in f"{base_prefix}/{tenant_prefix}".split("/") if part]
    return "/".join(parts) + "/" if parts else ""


def quote_prefix(prefix: str) -> str:
    return f"'{prefix}'" if prefix else "'' (the whole bucket)"


def prefix_conflict(first: TenantConfig, second: TenantConfig, base_prefix: str) -> str | None:
    """Why two tenants' prefixes overlap (identical, or one enclosing the other on a '/' boundary)."""
    a = normalized_prefix(base_prefix, first.prefix)
    b = normalized_prefix(base_prefix, second.prefix)
    if a == b:
        return f"tenants {first.name} and {second.name} share the prefix {quote_prefix(a)}"
    if not (a.startswith(b) or b.startswith(a)):
        return None
    (outer, outer_prefix), (inner, inner_prefix) = sorted([(first, a), (second, b)], key=lambda t: len(t[1]))
    return (
        f"the prefix {quote_prefix(outer_prefix)} of tenant {outer.name} encloses "
        f"the prefix {quote_prefix(inner_prefix)} of tenant {inner.name}"
    )


def check_prefix_isolation(tenants: Sequence[TenantConfig], base_prefix: str) -> None:
    """Refuse tenants whose key prefixes are identical or nested: one tenant's files would be
    published in the other's bundle ('team_a' and 'team_a/ml' overlap, 'team_a' and 'team_ab' do not)."""
    conflicts = [c for a, b in combinations(tenants, 2) if (c := prefix_conflict(a, b, base_prefix))]
    if conflicts:
        raise ConfigError(
            "each tenant must own a prefix that is not the same as, inside or around another tenant's: "
            + "; ".join(conflicts)
        )


def _tenant_specs(raw: Any) -> list[tuple[str, Any]]:
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        return [(str(k), v) for k, v in raw.items()]
    if isinstance(raw, list):
        specs: list[tuple[str, Any]] = []
        for item in raw:
            if not isinstance(item, Mapping) or "name" not in item:
                raise ConfigError("tenants list items must be mappings with a 'name'")
            specs.append((str(item["name"]), {k: v for k, v in item.items() if k != "name"}))
        return specs
    raise ConfigError("tenants must be a mapping (name -> prefix|options) or a list")


# Keys settable both in the config file and on the command line (CLI wins).
_CLI_KEYS = (
    "bucket",
    "base_prefix",
    "dest_root",
    "endpoint_url",
    "region",
    "profile",
    "addressing_style",
    "ca_bundle",
    "interval",
    "jitter",
    "parallelism",
    "keep",
    "max_objects",
    "max_bytes",
    "marker",
    "status_dir",
    "fsync",
)

# Keys of the config file: the CLI ones plus those only the file sets.
CONFIG_KEYS = frozenset(_CLI_KEYS) | {"tenants", "connect_timeout", "read_timeout", "max_attempts"}


def config_from_mapping(raw: Mapping[str, Any]) -> SyncConfig:
    """Validate a merged raw configuration mapping and build a SyncConfig."""
    forbidden = _FORBIDDEN_CONFIG_KEYS & set(raw)
    if forbidden:
        raise ConfigError(
            f"credentials are not accepted in the configuration ({sorted(forbidden)}); "
            "use the AWS credential chain (env, shared files, instance/role)"
        )
    unknown = set(raw) - CONFIG_KEYS
    if unknown:
        raise ConfigError(f"unknown configuration keys: {sorted(unknown)}")
    bucket = _opt_str(raw.get("bucket"), "bucket")
    if not bucket:
        raise ConfigError("bucket is required")
    dest = _opt_str(raw.get("dest_root"), "dest_root")
    if not dest:
        raise ConfigError("dest_root is required")
    defaults = {k: raw.get(k) for k in ("max_objects", "max_bytes", "marker")}
    tenants: dict[str, TenantConfig] = {}
    for name, spec in _tenant_specs(raw.get("tenants")):
        tenants[name] = parse_tenant(name, spec, defaults)
    if not tenants:
        raise ConfigError("at least one tenant is required")
    style = _opt_str(raw.get("addressing_style"), "addressing_style")
    if style is not None and style not in {"auto", "path", "virtual"}:
        raise ConfigError("addressing_style must be auto, path or virtual")
    status_dir = _opt_str(raw.get("status_dir"), "status_dir")
    fsync = raw.get("fsync", True)
    if not isinstance(fsync, bool):
        raise ConfigError("fsync must be a boolean")
    base_prefix = raw.get("base_prefix") or ""
    if not isinstance(base_prefix, str):
        raise ConfigError("base_prefix must be a string")
    check_prefix_isolation(tuple(tenants.values()), base_prefix)

    def pick_float(key: str, default: float, minimum: float) -> float:
        value = _opt_float(raw.get(key), key, minimum)
        return default if value is None else value

    def pick_int(key: str, default: int, minimum: int) -> int:
        value = _opt_int(raw.get(key), key, minimum)
        return default if value is None else value

    interval = pick_float("interval", DEFAULT_INTERVAL, 0.0)
    if interval <= 0:
        raise ConfigError("interval must be > 0")
    return SyncConfig(
        bucket=bucket,
        dest_root=Path(dest).absolute(),
        tenants=tuple(tenants.values()),
        base_prefix=base_prefix,
        endpoint_url=_opt_str(raw.get("endpoint_url"), "endpoint_url"),
        region=_opt_str(raw.get("region"), "region"),
        profile=_opt_str(raw.get("profile"), "profile"),
        addressing_style=style,
        ca_bundle=_opt_str(raw.get("ca_bundle"), "ca_bundle"),
        interval=interval,
        jitter=pick_float("jitter", DEFAULT_JITTER, 0.0),
        parallelism=pick_int("parallelism", DEFAULT_PARALLELISM, 1),
        keep=pick_int("keep", DEFAULT_KEEP, 0),
        status_dir=Path(status_dir).absolute() if status_dir else None,
        fsync=fsync,
        connect_timeout=pick_float("connect_timeout", 10.0, 0.1),
        read_timeout=pick_float("read_timeout", 60.0, 0.1),
        max_attempts=pick_int("max_attempts", 3, 1),
    )


def parse_tenant_flag(value: str) -> tuple[str, str]:
    name, sep, prefix = value.partition("=")
    if not sep:
        return value, value
    return name, prefix


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="airflow_dag_sync",
        description="Atomic multi-tenant S3 -> local Airflow DAG folder sync. "
        "Credentials come only from the AWS credential chain.",
    )
    parser.add_argument("--config", type=Path, help="JSON config file (CLI flags override it)")
    parser.add_argument("--bucket")
    parser.add_argument("--base-prefix", "--prefix", dest="base_prefix")
    parser.add_argument(
        "--tenant",
        action="append",
        default=None,
        metavar="NAME[=PREFIX]",
        help="tenant and its sub-prefix under the base prefix (repeatable; default PREFIX=NAME)",
    )
    parser.add_argument("--dest-root", dest="dest_root")
    parser.add_argument("--endpoint-url", dest="endpoint_url")
    parser.add_argument("--region")
    parser.add_argument("--profile", help="AWS shared-config profile name")
    parser.add_argument("--addressing-style", dest="addressing_style", choices=["auto", "path", "virtual"])
    parser.add_argument("--ca-bundle", dest="ca_bundle")
    parser.add_argument("--interval", type=float, help=f"seconds between cycles (default {DEFAULT_INTERVAL})")
    parser.add_argument("--jitter", type=float, help=f"max random extra seconds (default {DEFAULT_JITTER})")
    parser.add_argument("--parallelism", type=int, help=f"download threads (default {DEFAULT_PARALLELISM})")
    parser.add_argument("--keep", type=int, help=f"previous snapshots kept (default {DEFAULT_KEEP})")
    parser.add_argument("--max-objects", dest="max_objects", type=int, help="default per-tenant object limit")
    parser.add_argument("--max-bytes", dest="max_bytes", help="default per-tenant size limit (e.g. 200M)")
    parser.add_argument("--marker", help="default publish-marker key relative to each tenant prefix")
    parser.add_argument("--status-dir", dest="status_dir")
    parser.add_argument("--no-fsync", dest="fsync", action="store_const", const=False, default=None)
    parser.add_argument("--once", action="store_true", help="run one cycle and exit (0 = all tenants ok)")
    parser.add_argument("--check-config", action="store_true", help="validate config, print it and exit")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser




def load_config(args: argparse.Namespace) -> SyncConfig:
    """Merge the JSON config file (if any) with CLI flags (CLI wins)."""
    raw: dict[str, Any] = {}
    if args.config is not None:
        try:
            loaded = json.loads(Path(args.config).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {args.config}: {exc}") from exc
        except ValueError as exc:
            raise ConfigError(f"config file {args.config} is not valid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError("config file must contain a JSON object")
        raw.update(loaded)
    for key in _CLI_KEYS:
        value = getattr(args, key)
        if value is not None:
            raw[key] = value
    if args.tenant:
        specs = dict(_tenant_specs(raw.get("tenants")))
        for flag in args.tenant:
            name, prefix = parse_tenant_flag(flag)
            existing = specs.get(name)
            if isinstance(existing, Mapping):
                specs[name] = {**existing, "prefix": prefix}
            else:
                specs[name] = prefix
        raw["tenants"] = specs
    return config_from_mapping(raw)


def config_summary(cfg: SyncConfig) -> dict[str, Any]:
    data = dataclasses.asdict(cfg)
    data["dest_root"] = str(cfg.dest_root)
    data["status_dir"] = str(cfg.status_path)
    data["tenants"] = {t.name: {**dataclasses.asdict(t), "full_prefix": cfg.tenant_prefix(t)} for t in cfg.tenants}
    return data


# --------------------------------------------------------------------------- main loop


# typing.Union/Optional: a module-level alias is evaluated at import, and Python 3.9 has no `X | None`.
SignalHandler = Union[Callable[[int, Optional[FrameType]], Any], int, None]


def install_signal_handlers(stop: threading.Event) -> dict[int, SignalHandler]:
    """Install SIGTERM/SIGINT handlers that request a graceful stop; return the old ones."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        LOG.info("received %s, stopping after the current step", signal.Signals(signum).name)
        # Event.set() takes a lock; never do that from a handler that may have
        # interrupted the same thread inside Event.wait().
        threading.Thread(target=stop.set, daemon=True).start()
        signal.signal(signum, signal.SIG_DFL)  # a second signal terminates immediately

    previous: dict[int, SignalHandler] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, handler)
    return previous


def restore_signal_handlers(previous: Mapping[int, SignalHandler]) -> None:
    for signum, old in previous.items():
        signal.signal(signum, old if old is not None else signal.SIG_DFL)


def run_forever(cfg: SyncConfig, client: S3ClientLike, stop: threading.Event) -> None:
    while not stop.is_set():
        run_cycle(cfg, client, stop)
        delay = cfg.interval + random.uniform(0.0, cfg.jitter)
        stop.wait(delay)


def configure_logging(level_name: str) -> None:
    """Log to stderr at ``level_name``, but the AWS SDK and HTTP loggers never below INFO: at DEBUG
    they print signed headers (Authorization, X-Amz-Security-Token) and presigned URLs."""
    level: int = getattr(logging, level_name)
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        cfg = load_config(args)
    except ConfigError as exc:
        LOG.error("configuration error: %s", exc)
        return 2
    if args.check_config:
        print(json.dumps(config_summary(cfg), indent=2, sort_keys=True, default=str))
        return 0
    try:
        client = build_s3_client(cfg)
    except Exception as exc:
        LOG.error("cannot create S3 client: %s", describe_error(exc))
        return 2
    stop = threading.Event()
    previous: dict[int, SignalHandler] = {}
    if threading.current_thread() is threading.main_thread():
        previous = install_signal_handlers(stop)
    try:
        if args.once:
            results = run_cycle(cfg, client, stop)
            all_ok = len(results) == len(cfg.tenants) and all(r.ok for r in results)
            return 0 if all_ok else 1
        run_loop(cfg, client, stop)
        return 0
    finally:
        restore_signal_handlers(previous)


def run_loop(cfg: SyncConfig, client: S3ClientLike, stop: threading.Event) -> None:
    LOG.info(
        "starting sync loop: bucket=%s tenants=%s dest_root=%s interval=%.1fs",
        cfg.bucket,
        ",".join(t.name for t in cfg.tenants),
        cfg.dest_root,
        cfg.interval,
    )
    run_forever(cfg, client, stop)
    LOG.info("stopped")


if __name__ == "__main__":
    sys.exit(main())
