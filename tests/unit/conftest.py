"""Make the repository importable as ansible_collections.airflow_deploy.cluster."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_root = Path(tempfile.mkdtemp(prefix="airflow-deploy-collections-"))
(_root / "ansible_collections" / "airflow_deploy").mkdir(parents=True)
(_root / "ansible_collections" / "airflow_deploy" / "cluster").symlink_to(REPO)
sys.path.insert(0, str(_root))
# A module run as its own process (tests/unit/module_runner.py) imports the collection's
# module_utils the same way, and ansible-playbook started by a test resolves the collection so.
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_root), os.environ.get("PYTHONPATH", "")]))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(
    filter(None, [str(_root), os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")])
)
