"""Skipping a write that would change nothing: host_probe's stat answer, the comparison of
plugins/module_utils/found.py (the files action's `found` option and the files_as_found filter)."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.airflow_deploy.cluster.plugins.filter.files_as_found import FilterModule
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.found import all_as_found, checksums, entry_as_found
from module_runner import run_module
from role_vars import run_playbook

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def stats(*paths: Path) -> dict[str, Any]:
    """host_probe's stat answer for the paths, as a play registers it."""
    result = run_module("host_probe", {"stat": [str(path) for path in paths]})
    return result["stats"]


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    directory = tmp_path / "conf"
    directory.mkdir(mode=0o750)
    directory.chmod(0o750)
    config = directory / "app.cfg"
    config.write_text("[core]\nkey = 1\n")
    config.chmod(0o640)
    return directory, config


def wanted(directory: Path, config: Path, content: str = "[core]\nkey = 1\n", mode: str = "0640") -> list[dict[str, Any]]:
    return [{"path": str(directory), "state": "directory", "owner": OWNER, "group": GROUP, "mode": "0750"},
            {"path": str(config), "content": content, "owner": OWNER, "group": GROUP, "mode": mode}]


def test_stat_answers_type_owner_mode_and_checksum(tree: tuple[Path, Path], tmp_path: Path) -> None:
    directory, config = tree
    answer = stats(directory, config, tmp_path / "absent")
    assert answer[str(directory)] == {"type": "directory", "owner": OWNER, "group": GROUP, "mode": "0750"}
    assert answer[str(config)] == {"type": "file", "owner": OWNER, "group": GROUP, "mode": "0640",
                                   "sha1": hashlib.sha1(b"[core]\nkey = 1\n").hexdigest()}
    assert answer[str(tmp_path / "absent")] is None


def test_entries_as_found_only_when_everything_matches(tree: tuple[Path, Path]) -> None:
    directory, config = tree
    answer = stats(directory, config)
    assert all_as_found(wanted(directory, config), answer)
    assert all_as_found(wanted(directory, config, mode="640"), answer), "the same mode written without its leading 0"
    assert not all_as_found(wanted(directory, config, content="[core]\nkey = 2\n"), answer)
    assert not all_as_found(wanted(directory, config, mode="0600"), answer)
    assert not all_as_found(wanted(directory, config) + [{"path": "/not/probed", "content": ""}], answer)
    assert not all_as_found(wanted(directory, config), {}), "no answer at all"
    assert FilterModule().filters()["files_as_found"] is all_as_found


@pytest.mark.parametrize(
    ("entry", "found"),
    [
        ({"path": "/d", "state": "directory"}, {"type": "file", "owner": "root", "group": "root", "mode": "0755", "sha1": "x"}),
        ({"path": "/f", "content": "x"}, {"type": "directory", "owner": "root", "group": "root", "mode": "0755"}),
        ({"path": "/f", "content": "x", "owner": "root"}, {"type": "file", "owner": "daemon", "group": "root", "mode": "0644",
                                                          "sha1": hashlib.sha1(b"x").hexdigest()}),
        ({"path": "/f", "content": "x", "mode": "bogus"}, {"type": "file", "owner": "root", "group": "root", "mode": "0644",
                                                          "sha1": hashlib.sha1(b"x").hexdigest()}),
        ({"path": "/f", "content": "x"}, None),
    ],
)
def test_any_difference_is_not_as_found(entry: dict[str, Any], found: dict[str, Any] | None) -> None:
    assert not entry_as_found(entry, found)


def test_attributes_left_out_are_not_compared() -> None:
    found = {"type": "file", "owner": "daemon", "group": "daemon", "mode": "0600", "sha1": hashlib.sha1(b"x").hexdigest()}
    assert entry_as_found({"path": "/f", "content": "x"}, found)


def test_checksums_are_those_of_the_module() -> None:
    entries = [{"path": "/d", "state": "directory"}, {"path": "/f", "content": "x"}]
    assert checksums(entries) == {"/f": hashlib.sha1(b"x").hexdigest()}


def files_play(tmp_path: Path, files: list[dict[str, Any]], found: dict[str, Any]) -> Path:
    path = tmp_path / "play.yml"
    task = {"name": "Write", "airflow_deploy.cluster.files": {"files": files, "found": found}}
    path.write_text(yaml.safe_dump([{"name": "Files", "hosts": "localhost", "connection": "local", "gather_facts": False,
                                     "vars": {"ansible_python_interpreter": sys.executable}, "tasks": [task]}],
                                   sort_keys=False))
    return path


def test_files_action_does_not_run_the_module_when_found_says_all_is_as_wanted(tree: tuple[Path, Path], tmp_path: Path) -> None:
    directory, config = tree
    new = "[core]\nkey = 2\n"
    # An answer that already shows the new content: the action trusts it and leaves the file alone,
    # which shows that the module did not run.
    answer = stats(directory, config)
    answer[str(config)]["sha1"] = hashlib.sha1(new.encode()).hexdigest()
    result = run_playbook(files_play(tmp_path, wanted(directory, config, content=new), answer))["Write"]
    assert result["changed"] is False
    assert result["changed_paths"] == []
    assert result["checksums"] == {str(config): hashlib.sha1(new.encode()).hexdigest()}
    assert config.read_text() == "[core]\nkey = 1\n"


def test_files_action_runs_the_module_when_found_shows_a_difference(tree: tuple[Path, Path], tmp_path: Path) -> None:
    directory, config = tree
    new = "[core]\nkey = 2\n"
    result = run_playbook(files_play(tmp_path, wanted(directory, config, content=new), stats(directory, config)))["Write"]
    assert result["changed"] is True
    assert result["changed_paths"] == [str(config)]
    assert config.read_text() == new
