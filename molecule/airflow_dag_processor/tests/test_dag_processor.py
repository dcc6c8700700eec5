"""The standalone DAG processor parses a DAG placed in the DAG folder."""

from __future__ import annotations

import json
from typing import Any

from conftest import assert_service_running, deploy_dag, wait_for


def test_unit_running_and_enabled(host: Any) -> None:
    assert_service_running(host, "airflow-dag-processor")


def test_job_heartbeats(host: Any) -> None:
    result = host.run("airflow jobs check --job-type DagProcessorJob --local")
    assert result.rc == 0, result.stdout + result.stderr


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
