"""DAGs published to S3 per tenant reach the API; edits, deletions and broken files behave."""

from __future__ import annotations

import json
import re
import shlex
import time
from typing import Any

import pytest
from cluster_probe import s3
from conftest import api, assert_fails_in_preflight, assert_service_running, token, wait_for

S3_HOST = "mol-k8s-s3"
BUCKET = "airflow-dags"
ROOT = "/var/lib/airflow/dags"
ENGINE_DIR = "/usr/local/lib/airflow-deploy"  # airflow_dag_sync_engine_dir (default)
TIMEOUT = 300  # sync interval (10 s) + bundle refresh + parse time (about 15 s), with room for a busy 2-core machine

DAG = '''
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(dag_id="{dag_id}", schedule="{schedule}", start_date=datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="noop")
'''


def _dag(host: Any, dag_id: str) -> dict[str, Any] | None:
    status, body = api(host, "GET", f"/api/v2/dags/{dag_id}", token(host))
    return body if status == 200 and not body.get("is_stale") else None


def test_sync_unit_running_started_once(host: Any) -> None:
    """Converge and idempotence started the engine once: no start followed by a restart for its own files.
    Each start of a unit is a new invocation ID, on systemd's messages about the unit and on its own lines."""
    assert_service_running(host, "airflow-dag-sync")
    journal = host.check_output("journalctl -u airflow-dag-sync.service -o json --no-pager")
    entries = [json.loads(line) for line in journal.splitlines()]
    invocations = {entry.get("_SYSTEMD_INVOCATION_ID") or entry.get("INVOCATION_ID") for entry in entries} - {None}
    assert len(invocations) == 1, [entry.get("MESSAGE") for entry in entries if "INVOCATION_ID" in entry]


@pytest.mark.parametrize("tenant", ["team_a", "team_b"])
def test_each_tenant_synced_and_live(host: Any, tenant: str) -> None:
    status = json.loads(host.file(f"{ROOT}/.status/{tenant}.json").content_string)
    assert status["ok"] is True and status["last_error"] is None
    assert host.file(f"{ROOT}/{tenant}/current").is_symlink


def test_the_engine_is_the_installed_package(host: Any) -> None:
    """The unit runs `python -m airflow_dag_sync` from airflow_dag_sync_engine_dir (root-owned, read-only to it)."""
    package = host.file(f"{ENGINE_DIR}/airflow_dag_sync")
    assert package.is_directory and (package.user, package.mode) == ("root", 0o755)
    modules = host.run(f"ls {ENGINE_DIR}/airflow_dag_sync").stdout.split()
    assert {"__init__.py", "__main__.py", "cli.py", "direct_get.py"} <= set(modules), modules
    assert "__pycache__" not in modules  # neither the validate (python -B) nor the unit writes bytecode there
    unit = host.file("/etc/systemd/system/airflow-dag-sync.service").content_string
    assert f'Environment="PYTHONPATH={ENGINE_DIR}"' in unit
    assert re.search(r"^ExecStart=\S+/bin/python -m airflow_dag_sync --config /etc/airflow/dag-sync.json$", unit, re.MULTILINE), unit
    assert not host.file("/opt/airflow/libexec/airflow_dag_sync.py").exists  # the single-file engine of old releases
    checked = host.run(f"PYTHONPATH={ENGINE_DIR} /opt/airflow/bin/python -B -m airflow_dag_sync --check-config"
                       " --config /etc/airflow/dag-sync.json")
    assert checked.rc == 0 and sorted(json.loads(checked.stdout)["tenants"]) == ["team_a", "team_b"], checked.stderr


def test_one_bundle_per_tenant(host: Any) -> None:
    bundles = json.loads(host.run("airflow config get-value dag_processor dag_bundle_config_list").stdout)
    assert [(b["name"], b["kwargs"]["path"]) for b in bundles] == [
        ("team_a", f"{ROOT}/team_a/current"),
        ("team_b", f"{ROOT}/team_b/current"),
    ]


def test_credentials_only_in_the_sync_unit(host: Any) -> None:
    creds = host.file("/etc/airflow/env.d/dag-sync-credentials.env")
    assert (creds.user, creds.mode) == ("root", 0o600)
    assert "dag-sync-credentials.env" in host.file("/etc/systemd/system/airflow-dag-sync.service").content_string
    assert "dag-sync-credentials.env" not in host.file("/etc/systemd/system/airflow-api-server.service").content_string
    assert "molecule-secret" not in host.file("/etc/airflow/dag-sync.json").content_string
    # The operator's `airflow` wrapper loads exactly the env files of the Airflow units.
    wrapper = host.file("/usr/local/bin/airflow").content_string
    sourced = re.search(r"^for env_file in (.*); do$", wrapper, flags=re.MULTILINE)
    assert sourced, wrapper
    unit = host.file("/etc/systemd/system/airflow-api-server.service").content_string
    unit_files = [line.split("=", 1)[1].lstrip("-") for line in unit.splitlines() if line.startswith("EnvironmentFile=")]
    assert shlex.split(sourced.group(1)) == unit_files


def test_uploaded_dag_appears_then_same_size_edit_then_deletion(host: Any) -> None:
    started = time.monotonic()
    s3(S3_HOST, "put", BUCKET, "dags/team_a/tenant_a.py", DAG.format(dag_id="tenant_a", schedule="0 1 * * *"))
    dag = wait_for(lambda: _dag(host, "tenant_a"), TIMEOUT, what="tenant_a visible in the API")
    print(f"upload -> visible in the API: {time.monotonic() - started:.1f} s")
    assert dag["bundle_name"] == "team_a"
    assert dag["timetable_summary"] == "0 1 * * *"

    s3(S3_HOST, "put", BUCKET, "dags/team_a/tenant_a.py", DAG.format(dag_id="tenant_a", schedule="0 2 * * *"))
    wait_for(lambda: (_dag(host, "tenant_a") or {}).get("timetable_summary") == "0 2 * * *", TIMEOUT,
             what="the same-size edit of the schedule")

    s3(S3_HOST, "delete", BUCKET, "dags/team_a/tenant_a.py")
    wait_for(lambda: _dag(host, "tenant_a") is None, TIMEOUT, what="tenant_a gone after its file was deleted")


def test_broken_file_of_one_tenant_leaves_the_other_alone(host: Any) -> None:
    s3(S3_HOST, "put", BUCKET, "dags/team-b/tenant_b.py", DAG.format(dag_id="tenant_b", schedule="@daily"))
    wait_for(lambda: _dag(host, "tenant_b"), TIMEOUT, what="tenant_b visible")
    # Mentions airflow and DAG, so the processor's safe mode parses it (and fails).
    s3(S3_HOST, "put", BUCKET, "dags/team_a/broken.py", "from airflow.sdk import DAG\nthis is not python(\n")

    def import_error_seen() -> bool:
        status, body = api(host, "GET", "/api/v2/importErrors", token(host))
        return status == 200 and any("broken.py" in e["filename"] for e in body["import_errors"])

    wait_for(import_error_seen, TIMEOUT, what="the import error of team_a's broken file")
    assert _dag(host, "tenant_b") is not None
    _status, body = api(host, "GET", "/api/v2/importErrors", token(host))
    assert not [e for e in body["import_errors"] if "tenant_b" in e["filename"]]
    s3(S3_HOST, "delete", BUCKET, "dags/team_a/broken.py")


def test_traversal_key_rejected(host: Any) -> None:
    s3(S3_HOST, "put", BUCKET, "dags/team_a/../escape.py", "print('escaped')")

    def rejected() -> bool:
        status = json.loads(host.file(f"{ROOT}/.status/team_a.json").content_string)
        return any("escape.py" in str(r) for r in status.get("rejected", []))

    wait_for(rejected, TIMEOUT, what="the traversal key reported as rejected")
    assert not host.file(f"{ROOT}/escape.py").exists
    assert not host.file(f"{ROOT}/team_a/escape.py").exists
    s3(S3_HOST, "delete", BUCKET, "dags/team_a/../escape.py")


def test_nested_tenant_prefixes_stop_the_play_before_any_change(host: Any) -> None:
    # team_a_ml under team_a's prefix would publish team_a_ml's files in team_a's bundle.
    watched = ["/etc/airflow/dag-sync.json", "/etc/airflow/env.d/25-dag-bundles.env"]
    before = {path: host.file(path).sha256sum for path in watched}
    tenants = [{"name": "team_a"}, {"name": "team_a_ml", "prefix": "team_a/ml"}]
    assert_fails_in_preflight({"airflow_dag_sync_tenants": tenants},
                              "team_a ('dags/team_a/') and team_a_ml ('dags/team_a/ml/') have nested prefixes")
    assert {path: host.file(path).sha256sum for path in watched} == before
