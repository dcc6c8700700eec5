"""tools/check_artifact.py: what the built collection may hold (make lint builds and checks the real one)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from check_artifact import build, members, refusal, refusals


@pytest.mark.parametrize("member", [
    "roles/airflow/tasks/main.yml",
    "plugins/modules/host_info.py",
    "playbooks/site.yml",
    "inventories/production/hosts.yml",
    "docs/operations.md",
    "meta/runtime.yml",
    "tests",
    "tests/sanity/ignore-2.19.txt",
    "MANIFEST.json",
    "./README.md",
])
def test_what_users_need_ships(member: str) -> None:
    assert refusal(member) is None


@pytest.mark.parametrize(("member", "reason"), [
    (".ansible/collections/x.yml", "Ansible's local state"),
    ("roles/airflow/.ansible/roles", "Ansible's local state"),
    (".cache/collections", "the harness' cache"),
    (".venv/bin/python", "the dev virtualenv"),
    ("plugins/filter/__pycache__/x.cpython-311.pyc", "Python bytecode cache"),
    (".pytest_cache/v/cache", "pytest cache"),
    (".mypy_cache/3.11/x.json", "mypy cache"),
    ("inventories/lab/hosts.yml", "the lab's inventory"),
    ("inventories/lab", "the lab's inventory"),
    ("inventories/lab-celery/group_vars/all/main.yml", "the lab's inventory"),
    (".lab/lab.env", "the lab's state"),
    ("molecule/cluster/molecule.yml", "molecule scenarios"),
    ("tools/role_docs.py", "developer tools"),
    ("Makefile", "developer entry points"),
    ("docs/testing.md", "developer documentation (the test harness)"),
    ("tests/unit/conftest.py", "test-only files (only tests/sanity ships)"),
    ("tests/constraints/moto-debian12.txt", "test-only files (only tests/sanity ships)"),
    ("plugins/filter/x.pyc", "Python bytecode"),
    ("airflow_deploy-cluster-0.1.0.tar.gz", "a built artifact"),
])
def test_caches_the_lab_and_development_files_do_not_ship(member: str, reason: str) -> None:
    assert refusal(member) == reason


def test_a_look_alike_name_is_not_refused() -> None:
    assert refusal("inventories/lab_notes.md") is None
    assert refusal("roles/tools_role/tasks/main.yml") is None


def test_a_built_collection_is_checked_member_by_member(tmp_path: Path) -> None:
    collection = tmp_path / "collection"
    (collection / "plugins" / "modules").mkdir(parents=True)
    (collection / "plugins" / "modules" / "x.py").write_text("")
    (collection / ".ansible").mkdir()
    (collection / ".ansible" / "state.json").write_text("{}")
    (collection / "tests" / "unit").mkdir(parents=True)
    (collection / "tests" / "unit" / "test_x.py").write_text("")
    (collection / "galaxy.yml").write_text(
        "namespace: example\nname: check\nversion: 1.0.0\nreadme: README.md\nauthors: [example]\n")
    (collection / "README.md").write_text("example\n")
    output = tmp_path / "output"
    output.mkdir()
    tarball = build(collection, output)
    assert sorted(member for member, _reason in refusals(members(tarball))) == [
        ".ansible", ".ansible/state.json", "tests/unit", "tests/unit/test_x.py"]
