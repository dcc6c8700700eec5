"""Import a Python program that a role installs on the hosts (roles/<role>/files/<name>.py) as a
module, so its unit tests call its functions directly."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROLES = Path(__file__).resolve().parents[2] / "roles"


def load(role: str, filename: str) -> ModuleType:
    path = ROLES / role / "files" / filename
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
