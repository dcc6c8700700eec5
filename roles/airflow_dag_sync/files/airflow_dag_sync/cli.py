"""Command line and main loop: arguments over the JSON config, --check-config, --once, signals, logging."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any, Optional, Union

from .config import (
    _CLI_KEYS,
    DEFAULT_INTERVAL,
    DEFAULT_JITTER,
    DEFAULT_KEEP,
    DEFAULT_PARALLELISM,
    SyncConfig,
    _tenant_specs,
    config_from_mapping,
)
from .cycle import run_cycle
from .errors import ConfigError
from .model import LOG, S3ClientLike, describe_error
from .s3 import build_s3_client

# Loggers that print signed headers, session tokens and presigned URLs at DEBUG.
SDK_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3")


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
    except Exception as exc:  # noqa: BLE001 - any failure of the SDK's setup ends the run with its message
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
