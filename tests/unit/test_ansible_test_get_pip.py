"""tools/ansible_test_get_pip.py, the offline stand-in for ansible-test's pip bootstrap script."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from ansible_test_get_pip import pip_arguments


def test_get_pip_flags_are_dropped_and_pip_options_kept() -> None:
    argv = ["--disable-pip-version-check", "--no-setuptools", "--no-wheel", "pip==24.2"]
    assert pip_arguments(argv) == ["--disable-pip-version-check", "pip==24.2"]


def test_packages_pass_through_unchanged() -> None:
    assert pip_arguments(["pip==24.2", "setuptools==70.0.0", "wheel==0.43.0"]) == [
        "pip==24.2", "setuptools==70.0.0", "wheel==0.43.0"]
