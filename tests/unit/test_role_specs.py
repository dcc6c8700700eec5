"""Every role's defaults and argument specs describe the same options, each fully documented."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.parent.parent for p in REPO.glob("roles/*/meta/argument_specs.yml"))


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {} if path.exists() else {}


def test_every_role_has_specs() -> None:
    roles_with_tasks = sorted(p.parent.parent for p in REPO.glob("roles/*/tasks/main.yml"))
    assert roles_with_tasks == ROLES


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_defaults_match_main_spec(role: Path) -> None:
    defaults = _load(role / "defaults" / "main.yml")
    options = _load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    optional = {name for name, spec in options.items() if not spec.get("required")}
    assert set(defaults) == optional, "defaults/main.yml and the main spec list different options"
    for name in optional:
        assert options[name]["default"] == defaults[name], f"{name}: spec default differs from defaults/main.yml"
    for name, spec in options.items():
        assert name.startswith(role.name + "_"), f"{name} lacks the role prefix {role.name}_"
        assert spec.get("type"), f"{name} has no type"
        assert spec.get("description"), f"{name} has no description"
        assert spec.get("required") or "default" in spec, f"{name} is neither required nor defaulted"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_entry_point_option_is_typed_and_described(role: Path) -> None:
    for entry, spec in _load(role / "meta" / "argument_specs.yml")["argument_specs"].items():
        assert (role / "tasks" / f"{entry}.yml").exists(), f"entry point {entry} has no tasks file"
        for name, option in (spec.get("options") or {}).items():
            assert option.get("type") and option.get("description"), f"{entry}.{name} lacks type or description"
            assert option.get("required") or "default" in option, f"{entry}.{name} has no default"
