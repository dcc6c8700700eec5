"""roles/airflow_metadata_db/files/check_postgres.py: the login answer and the FAB user lookup,
against an in-process fake of psycopg2 (the real server runs in the molecule scenarios)."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any, Self

import pytest
from role_files import load

check_postgres = load("airflow_metadata_db", "check_postgres.py")


class FakeError(Exception):
    """Stands for psycopg2.Error."""


class FakeCursor:
    """Answers the FAB user lookup."""

    def __init__(self, fail_on: str | None, users: set[str] | None) -> None:
        self.fail_on = fail_on
        self.users = users
        self.rows: list[tuple[Any, ...]] = []
        self.queries: list[str] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, query: str, params: tuple[str, ...] = ()) -> None:
        self.queries.append(query)
        if self.fail_on is not None and self.fail_on in query:
            raise FakeError(f"permission denied: {query}")
        if "to_regclass('ab_user')" in query:
            self.rows = [(self.users is not None,)]
        elif "FROM ab_user" in query:
            self.rows = [(params[0] in (self.users or set()),)]

    def fetchone(self) -> tuple[Any, ...]:
        return self.rows[0]


class FakeConnection:
    server_version = 150008

    def __init__(self, fail_on: str | None = None, users: set[str] | None = None) -> None:
        self.cursor_ = FakeCursor(fail_on, users)
        self.closed = False

    def cursor(self) -> FakeCursor:
        return self.cursor_

    def close(self) -> None:
        self.closed = True


def test_the_fab_user_is_found_or_missing() -> None:
    connection = FakeConnection(users={"admin"})
    assert check_postgres.fab_user_exists(connection, "admin") is True
    assert check_postgres.fab_user_exists(connection, "someone") is False


def test_the_fab_user_is_unknown_before_the_fab_tables_exist() -> None:
    assert check_postgres.fab_user_exists(FakeConnection(users=None), "admin") is None


def test_a_user_table_that_cannot_be_read_is_unknown() -> None:
    connection = FakeConnection(fail_on="FROM ab_user", users={"admin"})
    assert check_postgres.unless_error(lambda: check_postgres.fab_user_exists(connection, "admin"), FakeError) is None


def fake_psycopg2(connection: FakeConnection | None, error: str = "") -> ModuleType:
    """A psycopg2 module whose connect() returns the connection or raises the error."""
    module = ModuleType("psycopg2")

    def connect(dsn: str) -> FakeConnection:
        if connection is None:
            raise FakeError(error)
        return connection

    module.connect = connect  # type: ignore[attr-defined]
    module.Error = FakeError  # type: ignore[attr-defined]
    return module


def install(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> None:
    monkeypatch.setitem(sys.modules, "psycopg2", module)


def test_login_reports_the_server_version_and_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = FakeConnection(users={"admin"})
    install(monkeypatch, fake_psycopg2(connection))
    monkeypatch.setenv("CHECK_POSTGRES_FAB_USER", "admin")
    result: dict[str, Any] = check_postgres.check()
    assert result == {
        "ok": True,
        "server_version": 150008,
        "user_exists": True,
    }
    assert connection.closed


def test_no_user_is_looked_up_when_none_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    connection = FakeConnection(users={"admin"})
    install(monkeypatch, fake_psycopg2(connection))
    monkeypatch.delenv("CHECK_POSTGRES_FAB_USER", raising=False)
    assert check_postgres.check()["user_exists"] is None
    assert not any("ab_user" in query for query in connection.cursor_.queries)


def test_a_refused_login_names_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, fake_psycopg2(None, 'FATAL:  password authentication failed for user "airflow"\n'))
    assert check_postgres.check() == {
        "ok": False,
        "reason": "authentication",
        "detail": 'FATAL:  password authentication failed for user "airflow"',
    }


def test_a_login_without_the_driver_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    result = check_postgres.check()
    assert result["ok"] is False and result["reason"] == "driver"
