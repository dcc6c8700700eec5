"""Unit tests of the collection's filter, test and lookup plugins."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.airflow_cfg_value import (
    FilterModule,
    airflow_cfg_value,
)
from ansible_collections.airflow_deploy.cluster.plugins.lookup.fernet_key import LookupModule
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.fernet import (
    is_fernet_key,
    new_fernet_key,
)
from ansible_collections.airflow_deploy.cluster.plugins.test.fernet_key import TestModule as FernetTests

REPO = Path(__file__).resolve().parents[3]
VALID = base64.urlsafe_b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "True"),
        (False, "False"),
        (None, ""),
        (8080, "8080"),
        ("LocalExecutor", "LocalExecutor"),
        ("%(asctime)s", "%%(asctime)s"),
        ([{"name": "a", "kwargs": {"path": "/x"}}], '[{"name":"a","kwargs":{"path":"/x"}}]'),
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
    ],
)
def test_airflow_cfg_value_renders(value: object, expected: str) -> None:
    assert airflow_cfg_value(value) == expected


def test_airflow_cfg_value_refuses_newlines() -> None:
    with pytest.raises(AnsibleFilterError, match="single line"):
        airflow_cfg_value("a\nb")


def test_filter_is_registered() -> None:
    assert FilterModule().filters()["airflow_cfg_value"] is airflow_cfg_value


@pytest.mark.parametrize(
    "value",
    [
        VALID[:-1],  # too short
        VALID + "A",  # too long
        VALID.replace(VALID[0], "+", 1) if VALID[0] != "+" else VALID.replace("+", "-"),  # not url-safe
        base64.urlsafe_b64encode(bytes(31)).decode(),  # 31 bytes
        "x" * 44,
        "",
        None,
        44,
    ],
)
def test_fernet_key_rejects(value: object) -> None:
    assert not is_fernet_key(value)


def test_fernet_key_accepts_generated_keys() -> None:
    keys = {new_fernet_key() for _attempt in range(20)}
    assert len(keys) == 20
    assert all(is_fernet_key(k) for k in keys)
    assert is_fernet_key(VALID)


def test_fernet_key_test_plugin_registered() -> None:
    assert FernetTests().tests()["fernet_key"](VALID) is True


def test_fernet_key_lookup_returns_one_new_key() -> None:
    first = LookupModule().run([], variables={})
    second = LookupModule().run([], variables={})
    assert len(first) == 1 and is_fernet_key(first[0])
    assert first != second


# Plugins documented on their own: not the shared code (module_utils) nor the shared docs (doc_fragments).
DOCUMENTED = sorted(path for path in (REPO / "plugins").glob("*/*.py")
                    if path.parent.name not in ("module_utils", "doc_fragments"))


@pytest.mark.parametrize("plugin", DOCUMENTED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_plugin_documentation_is_well_formed(plugin: Path) -> None:
    if plugin.parent.name == "action":  # documented by the module of the same name
        assert (REPO / "plugins" / "modules" / plugin.name).is_file(), f"action {plugin.stem} has no module"
        return
    source = plugin.read_text()
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        match = re.search(block + r' = r"""(.*?)"""', source, re.DOTALL)
        assert match, f"{plugin.name} lacks {block}"
        yaml.safe_load(match.group(1))
    documentation = re.search(r'DOCUMENTATION = r"""(.*?)"""', source, re.DOTALL)
    assert documentation
    doc = yaml.safe_load(documentation.group(1))
    assert doc["module" if plugin.parent.name == "modules" else "name"] == plugin.stem
    assert all(isinstance(line, str) for line in doc["description"]), "a description line parsed as a mapping"


@pytest.mark.parametrize("fragment", sorted((REPO / "plugins" / "doc_fragments").glob("*.py")), ids=lambda p: p.stem)
def test_doc_fragment_is_well_formed_and_used(fragment: Path) -> None:
    match = re.search(r'DOCUMENTATION = r"""(.*?)"""', fragment.read_text(), re.DOTALL)
    assert match, f"{fragment.name} lacks DOCUMENTATION"
    assert isinstance(yaml.safe_load(match.group(1)), dict)
    users = [path.name for path in (REPO / "plugins").glob("*/*.py")
             if f"airflow_deploy.cluster.{fragment.stem}" in path.read_text()]
    assert users, f"no plugin extends its documentation with {fragment.stem}"
