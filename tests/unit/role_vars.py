"""Render a role's derived variables with Ansible on the controller (no host is touched).

run_playbook() runs any playbook on localhost and gives each task's result. render() builds one for
a role's variables: the role's defaults (when it has them) and vars, and one debug task per case
that renders an expression with the case's variables (registered results, options); it gives the
rendered message of each case, by name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
BIN = Path(sys.executable).parent
# The airflow role's required secrets, for rendering its variables.
AIRFLOW_SECRETS = {"airflow_fernet_key": "unit-test-fernet", "airflow_api_secret_key": "unit-test-api",
                   "airflow_jwt_secret": "unit-test-jwt"}


def role_task(role: str, tasks_file: str, name: str) -> dict[str, Any]:
    """A task of a role's tasks file, by name, as written (its expressions unrendered)."""
    tasks = yaml.safe_load((ROLES / role / "tasks" / tasks_file).read_text())
    return next(task for task in tasks if task["name"] == name)


def preflight_check(name: str) -> dict[str, str]:
    """The ok and msg expressions of one item of the airflow role's "Check the inputs" task."""
    return next(item for item in role_task("airflow", "preflight.yml", "Check the inputs")["loop"] if item["check"] == name)


def playbook(tmp_path: Path, role: str, expression: str, cases: dict[str, dict[str, Any]],
             play_vars: dict[str, Any]) -> Path:
    """The playbook of render(); the role's templates are reachable for template lookups."""
    role_dir = ROLES / role
    (tmp_path / "templates").symlink_to(role_dir / "templates")
    inventory_vars = tmp_path / "inventory_vars.yml"
    inventory_vars.write_text(yaml.safe_dump(play_vars))
    # Later files win: the role's defaults, then what an inventory would set, then the role's vars.
    vars_files = [str(path) for path in (role_dir / "defaults" / "main.yml", inventory_vars, role_dir / "vars" / "main.yml")
                  if path.exists()]
    tasks = [{"name": name, "ansible.builtin.debug": {"msg": expression}, "vars": case_vars}
             for name, case_vars in cases.items()]
    play = {"name": "Render", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars_files": vars_files, "tasks": tasks}
    path = tmp_path / "render.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def run_playbook(path: Path, succeed: bool = True) -> dict[str, dict[str, Any]]:
    """Run a playbook on localhost; each task's result by task name (json callback).

    succeed: whether the run must exit 0 (else it must fail).
    """
    env = os.environ | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOCALHOST_WARNING": "0",
                        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0"}
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(path)], capture_output=True,
                          text=True, env=env, check=False, timeout=300)
    assert (proc.returncode == 0) == succeed, proc.stdout + proc.stderr
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    return {task["task"]["name"]: task["hosts"]["localhost"] for task in tasks}


def render(tmp_path: Path, role: str, expression: str, cases: dict[str, dict[str, Any]],
           play_vars: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the playbook; the rendered expression of each case, by case name."""
    results = run_playbook(playbook(tmp_path, role, expression, cases, play_vars or {}))
    return {name: result["msg"] for name, result in results.items()}
