"""Connect to the metadata database the way Airflow will and report one JSON line.

Run with the Airflow virtualenv's Python (it has psycopg2). Connection parameters come from the
standard libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE,
PGSSLROOTCERT, PGCONNECT_TIMEOUT), so the password never appears on a command line.

Output: {"ok": true, "server_version": 150008, "user_exists": true} or
{"ok": false, "reason": "...", "detail": "..."}. Exit code 0 either way; the caller decides what to
do with the reason.

"user_exists" says whether the FAB user named in CHECK_POSTGRES_FAB_USER exists (null when the
variable is unset, the FAB tables do not exist yet or cannot be read), so the role creates the
admin user only when it is missing without starting the Airflow CLI to list the users.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

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


T = TypeVar("T")


def fab_user_exists(connection: Any, username: str) -> bool | None:
    """Whether FAB's user table has the user; None before FAB's tables exist."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('ab_user') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT EXISTS (SELECT 1 FROM ab_user WHERE username = %s)", (username,))
        return bool(cursor.fetchone()[0])


def unless_error(read: Callable[[], T], error: type[Exception]) -> T | None:
    """What read() answers, or None when the database refuses (the role then asks Airflow)."""
    try:
        return read()
    except error:
        return None


def check() -> dict[str, object]:
    """Connect with the libpq environment and return the outcome."""
    try:
        import psycopg2  # only in the Airflow virtualenv
    except ImportError as exc:
        return {"ok": False, "reason": "driver", "detail": str(exc)}

    username = os.environ.get("CHECK_POSTGRES_FAB_USER", "")
    try:
        connection = psycopg2.connect("")
    except psycopg2.Error as exc:
        detail = str(exc).strip()
        return {"ok": False, "reason": classify(detail), "detail": detail}
    try:
        return {
            "ok": True,
            "server_version": connection.server_version,
            "user_exists": unless_error(lambda: fab_user_exists(connection, username), psycopg2.Error)
            if username else None,
        }
    finally:
        connection.close()


def main() -> int:
    print(json.dumps(check()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
