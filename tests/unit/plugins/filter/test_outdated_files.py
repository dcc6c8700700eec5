"""The outdated_files filter: which controller files a copy loop has to write, from one find of the host's directory."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.outdated_files import FilterModule, outdated_files

DEST = "/usr/local/lib/airflow-deploy/airflow_dag_sync"
WANTED = {"owner": "root", "group": "root", "mode": "0644"}


@pytest.fixture(name="sources")
def fixture_sources(tmp_path: Path) -> list[str]:
    """Three modules on the controller."""
    paths = []
    for name, text in (("__init__.py", '"""pkg"""\n'), ("cli.py", "def main():\n    pass\n"), ("s3.py", "X = 1\n")):
        path = tmp_path / name
        path.write_text(text)
        paths.append(str(path))
    return paths


def found(source: str, **changes: Any) -> dict[str, Any]:
    """The find entry of an exact, well-owned copy of a source (what find returns with get_checksum)."""
    entry = {"path": f"{DEST}/{Path(source).name}", "isreg": True, "islnk": False, "pw_name": "root",
             "gr_name": "root", "mode": "0644", "checksum": hashlib.sha1(Path(source).read_bytes()).hexdigest()}
    return entry | changes


def test_nothing_is_outdated_when_every_copy_matches(sources: list[str]) -> None:
    assert outdated_files([found(path) for path in sources], sources, **WANTED) == []


def test_a_missing_copy_is_outdated(sources: list[str]) -> None:
    assert outdated_files([found(sources[0])], sources, **WANTED) == ["cli.py", "s3.py"]
    assert outdated_files([], sources, **WANTED) == ["__init__.py", "cli.py", "s3.py"]


def test_a_changed_content_is_outdated(sources: list[str]) -> None:
    entries = [found(sources[0]), found(sources[1], checksum=hashlib.sha1(b"edited by hand").hexdigest()), found(sources[2])]
    assert outdated_files(entries, sources, **WANTED) == ["cli.py"]


@pytest.mark.parametrize("change", [{"mode": "0666"}, {"pw_name": "airflow"}, {"gr_name": "airflow"}])
def test_wrong_attributes_are_outdated(sources: list[str], change: dict[str, str]) -> None:
    entries = [found(sources[0]), found(sources[1]), found(sources[2], **change)]
    assert outdated_files(entries, sources, **WANTED) == ["s3.py"]


def test_a_link_or_directory_in_place_of_a_module_is_outdated(sources: list[str]) -> None:
    entries = [found(sources[0], islnk=True, isreg=False), found(sources[1], isreg=False), found(sources[2])]
    assert outdated_files(entries, sources, **WANTED) == ["__init__.py", "cli.py"]


def test_files_only_the_host_has_are_left_out(sources: list[str]) -> None:
    stale = {"path": f"{DEST}/old.py", "isreg": True, "pw_name": "root", "gr_name": "root", "mode": "0644", "checksum": "0"}
    assert outdated_files([*(found(path) for path in sources), stale], sources, **WANTED) == []


def test_the_checksum_is_required(sources: list[str]) -> None:
    entry = found(sources[0])
    del entry["checksum"]
    with pytest.raises(AnsibleFilterError, match="get_checksum=true"):
        outdated_files([entry], sources, **WANTED)


@pytest.mark.parametrize("mode", ["644", "0o644", "u=rw", 420])
def test_a_mode_that_find_cannot_report_is_refused(sources: list[str], mode: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="four octal digits"):
        outdated_files([], sources, owner="root", group="root", mode=mode)


def test_sources_with_the_same_base_name_are_refused(sources: list[str], tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "cli.py").write_text("")
    with pytest.raises(AnsibleFilterError, match="share base names"):
        outdated_files([], [*sources, str(other / "cli.py")], **WANTED)


def test_the_input_must_be_a_list_of_found_files(sources: list[str]) -> None:
    with pytest.raises(AnsibleFilterError, match="'files' of an ansible.builtin.find"):
        outdated_files("not a list", sources, **WANTED)  # type: ignore[arg-type]


def test_the_filter_is_registered() -> None:
    assert FilterModule().filters()["outdated_files"] is outdated_files
