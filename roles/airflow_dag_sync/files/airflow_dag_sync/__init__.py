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

    PYTHONPATH=<directory holding the package> python -m airflow_dag_sync --config /etc/airflow/dag-sync.json [--once]
    python -m airflow_dag_sync --bucket B --base-prefix dags --tenant team-a=team-a \\
        --dest-root /opt/airflow/dags --once

Modules (each imports only the ones above it): ``errors``, ``model`` (shared types and
helpers), ``fs`` (filesystem primitives), ``config``, ``store`` (snapshot store), ``direct_get``
(the one seam on botocore internals), ``s3`` (S3 access), ``cycle``, ``cli``.  Standard library
and boto3 only; Python 3.9 or later.

Exit codes: 0 success (or graceful stop of the loop), 1 at least one tenant
failed in ``--once`` mode, 2 configuration error.
"""

from __future__ import annotations

from .cli import main
from .config import SyncConfig, TenantConfig, config_from_mapping
from .cycle import run_cycle, sync_tenant
from .errors import ConfigError, SyncError
from .model import TenantResult
from .s3 import build_s3_client

__all__ = [
    "ConfigError",
    "SyncConfig",
    "SyncError",
    "TenantConfig",
    "TenantResult",
    "build_s3_client",
    "config_from_mapping",
    "main",
    "run_cycle",
    "sync_tenant",
]
