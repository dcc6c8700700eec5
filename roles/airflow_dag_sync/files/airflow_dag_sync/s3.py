"""S3 access: the client, the listing of a tenant's prefix, the marker, and verified downloads of objects."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .config import SyncConfig, TenantConfig
from .direct_get import DirectGet
from .errors import IntegrityError, LimitExceeded, SyncAborted, SyncError
from .fs import atomic_file
from .model import (
    Digest,
    Listing,
    ObjectEntry,
    OpenObject,
    RejectedKey,
    S3ClientLike,
    etag_is_content_md5,
    is_md5_etag,
    is_not_found,
    normalize_etag,
    relpath_problem,
)

CHUNK_SIZE = 1024 * 1024


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
