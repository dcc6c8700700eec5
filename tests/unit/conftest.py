"""Make the repository importable as ansible_collections.airflow_deploy.cluster.

Two runners use these tests: `make unit` (plain pytest on a checkout, which lives in no
ansible_collections tree) and `ansible-test units` (which runs from a copy laid out as
ansible_collections/airflow_deploy/cluster, with its collection loader already set up).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

UNIT = Path(__file__).resolve().parent
REPO = UNIT.parents[1]


def collection_root(repo: Path) -> Path:
    """The directory holding ansible_collections/airflow_deploy/cluster for this repository.

    The repository's own parents when it is laid out so (ansible-test), else a new temporary tree
    whose airflow_deploy/cluster links to it.
    """
    if repo.parent.name == "airflow_deploy" and repo.parents[1].name == "ansible_collections":
        return repo.parents[2]
    root = Path(tempfile.mkdtemp(prefix="airflow-deploy-collections-"))
    (root / "ansible_collections" / "airflow_deploy").mkdir(parents=True)
    (root / "ansible_collections" / "airflow_deploy" / "cluster").symlink_to(repo)
    return root


def prepend_path(variable: str, entry: str) -> None:
    """Put entry first in the os.pathsep-separated environment variable, unless it is there already."""
    entries = [item for item in os.environ.get(variable, "").split(os.pathsep) if item]
    if entry not in entries:
        os.environ[variable] = os.pathsep.join([entry, *entries])


_root = str(collection_root(REPO))
if _root not in sys.path:
    sys.path.insert(0, _root)
# The shared helpers (module_runner, role_files, role_vars) for tests in subdirectories: pytest puts
# this directory on sys.path itself, ansible-test (which imports tests as packages) does not.
if str(UNIT) not in sys.path:
    sys.path.insert(0, str(UNIT))
# A module run as its own process (tests/unit/module_runner.py) imports the collection's
# module_utils the same way, and ansible-playbook started by a test resolves the collection so.
prepend_path("PYTHONPATH", _root)
prepend_path("ANSIBLE_COLLECTIONS_PATH", _root)
