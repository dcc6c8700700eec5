"""Shared types and pure helpers: listings, manifests, results, key and ETag checks, the engine's logger."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ConfigError, SyncError

LOG = logging.getLogger("airflow_dag_sync")
MAX_SEGMENT_BYTES = 255
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_SIZE_MULT = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}

# A single-part upload's ETag: the hex MD5 of the object's bytes (unless SSE-KMS or SSE-C encrypted).
_MD5_ETAG_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_KMS_ENCRYPTION = frozenset({"aws:kms", "aws:kms:dsse"})


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
