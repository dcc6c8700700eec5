"""Roles talk through documented variables only: no role reads another role's internals
(`__<role>_*`) or files by path (`role_path/../<other role>`)."""

from __future__ import annotations

import re
from pathlib import Path

ROLES = Path(__file__).resolve().parents[2] / "roles"
INTERNAL = re.compile(r"\b__([a-z0-9_]+)")


def _owner(name: str, roles: list[str]) -> str | None:
    """The role whose prefix a variable name carries (the longest one: airflow_dag_sync, not airflow)."""
    owners = [role for role in roles if name.startswith(role + "_")]
    return max(owners, key=len) if owners else None


def _role_files() -> list[Path]:
    return [path for path in ROLES.rglob("*") if path.is_file() and path.suffix in {".yml", ".j2", ".py"}]


def test_owner_is_the_longest_role_prefix() -> None:
    roles = ["airflow", "airflow_dag_sync", "airflow_lb", "airflow_lb_healthcheck"]
    assert _owner("airflow_dag_sync_config", roles) == "airflow_dag_sync"
    assert _owner("airflow_lb_healthcheck_backend", roles) == "airflow_lb_healthcheck"
    assert _owner("airflow_home", roles) == "airflow"
    assert _owner("lab_port", roles) is None


def test_no_role_reads_another_roles_internals() -> None:
    roles = sorted(path.name for path in ROLES.iterdir() if path.is_dir())
    foreign = [f"{path.relative_to(ROLES)}: __{name}"
               for path in _role_files()
               for name in INTERNAL.findall(path.read_text())
               if _owner(name, roles) not in (None, path.relative_to(ROLES).parts[0])]
    assert not foreign


def test_no_role_reaches_into_another_role_by_path() -> None:
    assert not [str(path) for path in _role_files() if re.search(r"role_path\s*[~+/]\s*['\"]?/?\.\./", path.read_text())]
