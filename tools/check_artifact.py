"""Build the collection as Galaxy users get it and fail when the artifact holds what they do not need.

    python tools/check_artifact.py    (run by make lint)

`ansible-galaxy collection build` (galaxy.yml's build_ignore decides what is left out) writes the
tarball into a temporary directory; every member is checked against the rules below and each one
that breaks a rule is printed with the rule. Exit status 1 when any does, 0 otherwise.

What ships: the roles, plugins, playbooks, the example production inventory, meta/, changelogs/,
the user documentation and tests/sanity/ (the ignore files: galaxy-importer runs ansible-test
sanity on the artifact, and without them it would report what the ignore entries justify). What
does not: caches and local state, the lab, the test harness and its tests, developer tools and docs.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[1]

# A member is refused when one of its path components is one of these (caches and local state).
FORBIDDEN_COMPONENTS = {
    ".ansible": "Ansible's local state",
    ".cache": "the harness' cache",
    ".venv": "the dev virtualenv",
    "__pycache__": "Python bytecode cache",
    ".pytest_cache": "pytest cache",
    ".mypy_cache": "mypy cache",
    ".ruff_cache": "ruff cache",
    ".lab": "the lab's state",
    ".git": "git metadata",
}
# A member is refused when its path is one of these or lies under one (development only).
FORBIDDEN_PATHS = {
    "inventories/lab": "the lab's inventory",
    "inventories/lab-celery": "the lab's inventory",
    "molecule": "molecule scenarios",
    "tools": "developer tools",
    "Makefile": "developer entry points",
    "CONTRIBUTING.md": "developer documentation",
    "docs/testing.md": "developer documentation (the test harness)",
    "pyproject.toml": "lint settings",
    "requirements-dev.in": "development requirements",
    "requirements-dev.txt": "development requirements",
    ".ci": "CI entry point",
    ".config": "ansible-lint and molecule settings",
    ".gitignore": "git settings",
    ".yamllint.yml": "yamllint settings",
}
# Under tests/ only these ship.
ALLOWED_TESTS = ("tests/sanity",)
FORBIDDEN_SUFFIXES = {".pyc": "Python bytecode", ".tar.gz": "a built artifact"}


def under(path: PurePosixPath, prefix: str) -> bool:
    """Whether path is prefix or lies under it."""
    return path == PurePosixPath(prefix) or PurePosixPath(prefix) in path.parents


def refusal(member: str) -> str | None:
    """Why the artifact must not hold this member (a path relative to the collection), None when it may."""
    path = PurePosixPath(member.removeprefix("./"))
    for part in path.parts:
        if part in FORBIDDEN_COMPONENTS:
            return FORBIDDEN_COMPONENTS[part]
    for prefix, reason in FORBIDDEN_PATHS.items():
        if under(path, prefix):
            return reason
    if under(path, "tests") and path != PurePosixPath("tests") and not any(under(path, keep) for keep in ALLOWED_TESTS):
        return "test-only files (only tests/sanity ships)"
    for suffix, reason in FORBIDDEN_SUFFIXES.items():
        if path.name.endswith(suffix):
            return reason
    return None


def refusals(members: list[str]) -> list[tuple[str, str]]:
    """(member, reason) for each member the artifact must not hold."""
    found = ((member, refusal(member)) for member in members)
    return [(member, reason) for member, reason in found if reason is not None]


def build(repo: Path, output: Path) -> Path:
    """Build the collection into output with the ansible-galaxy beside this Python; the tarball."""
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    command = [str(galaxy) if galaxy.exists() else "ansible-galaxy", "collection", "build", str(repo),
               "--output-path", str(output)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    (tarball,) = output.glob("*.tar.gz")
    return tarball


def members(tarball: Path) -> list[str]:
    """The names of the tarball's members."""
    with tarfile.open(tarball) as archive:
        return archive.getnames()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="airflow-deploy-artifact-") as output:
        tarball = build(REPO, Path(output))
        names = members(tarball)
    bad = refusals(names)
    for member, reason in bad:
        print(f"{member}: {reason}", file=sys.stderr)
    if bad:
        print(f"{tarball.name}: {len(bad)} of {len(names)} members should not ship; add them to build_ignore in galaxy.yml",
              file=sys.stderr)
        return 1
    print(f"{tarball.name}: {len(names)} members, none of them caches, the lab or development files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
