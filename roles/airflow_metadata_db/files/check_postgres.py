#!/usr/bin/env python3
"""Connect to the metadata database the way Airflow will and report one JSON line.

Run with the Airflow virtualenv's Python (it has psycopg2). Connection parameters come from the
standard libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE,
PGSSLROOTCERT, PGCONNECT_TIMEOUT), so the password never appears on a command line.

Output: {"ok": true, "server_version": 150008} or {"ok": false, "reason": "...", "detail": "..."}.
Exit code 0 either way; the caller decides what to do with the reason.
"""

from __future__ import annotations

import json
import sys

REASONS = (
    ("password authentication failed", "authentication"),
    ("no password supplied", "authentication"),
    ("does not exist", "missing"),
    ("no pg_hba.conf entry", "rejected"),
    ("could not translate host name", "unresolvable"),
    ("connection refused", "unreachable"),
    ("timeout expired", "unreachable"),
    ("could not connect", "unreachable"),
    ("ssl", "tls"),
    ("certificate", "tls"),
)


def classify(message: str) -> str:
    """Map a libpq error message to a short reason the role turns into advice."""
    lowered = message.lower()
    for needle, reason in REASONS:
        if needle in lowered:
            return reason
    return "other"


def check() -> dict[str, object]:
    """Connect with the libpq environment and return the outcome."""
    try:
        import psycopg2  # noqa: PLC0415 (only in the Airflow venv)
    except ImportError as exc:
        return {"ok": False, "reason": "driver", "detail": str(exc)}
    try:
        connection = psycopg2.connect("")
    except psycopg2.Error as exc:
        detail = str(exc).strip()
        return {"ok": False, "reason": classify(detail), "detail": detail}
    try:
        return {"ok": True, "server_version": connection.server_version}
    finally:
        connection.close()


def main() -> int:
    print(json.dumps(check()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
