"""Role airflow_dag_processor: bundle storage outside /tmp, and a DAG in the DAG folder parsed.

The unit and its job are checked in test_control_plane.py with the other components."""

from __future__ import annotations

import json
from typing import Any

from conftest import deploy_dag, wait_for


def test_bundle_storage_outside_tmp(host: Any) -> None:
    path = host.run("airflow config get-value dag_processor dag_bundle_storage_path").stdout.strip()
    assert path == "/var/lib/airflow/dag_bundles"


def _dag_ids(host: Any) -> list[str]:
    result = host.run("airflow dags list --output json")
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    return [dag["dag_id"] for dag in json.loads(lines[-1])] if lines else []


def test_dag_in_dag_folder_is_parsed(host: Any) -> None:
    deploy_dag(host)
    wait_for(lambda: "molecule_smoke" in _dag_ids(host), 300, interval=5, what="molecule_smoke parsed")
    errors = host.run("airflow dags list-import-errors --output json").stdout
    assert "molecule_smoke" not in errors
