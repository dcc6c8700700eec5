"""The configuration: tenants and options, validated (names, prefixes, limits, no credentials) into a SyncConfig."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError
from .model import join_prefix, parse_size, relpath_problem

TENANT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
DEFAULT_INTERVAL = 10.0
DEFAULT_JITTER = 1.0
DEFAULT_PARALLELISM = 16
DEFAULT_KEEP = 2
_FORBIDDEN_CONFIG_KEYS = frozenset(
    {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "access_key", "secret_key"}
)


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
