"""The airflow_dag_sync role's filters and derived variables: the engine's configuration, the tenants
that have not synced (from the status files the role reads on the host) and what the wait looks for."""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.dag_sync_engine_config import (
    FilterModule as EngineConfigFilters,
)
from ansible_collections.airflow_deploy.cluster.plugins.filter.dag_sync_engine_config import (
    dag_sync_engine_config,
)
from ansible_collections.airflow_deploy.cluster.plugins.filter.dag_sync_unsynced import (
    FilterModule as UnsyncedFilters,
)
from ansible_collections.airflow_deploy.cluster.plugins.filter.dag_sync_unsynced import dag_sync_unsynced
from role_files import ROLES
from role_vars import render

STATUS_DIR = "/var/lib/airflow/dags/.status"
TENANTS = [{"name": "team_a"}, {"name": "team_b", "prefix": "team-b", "team": "b", "marker": "_PUBLISHED"}]
ENGINE_OPTIONS: dict[str, Any] = {"bucket": "airflow-dags", "base_prefix": "dags", "dest_root": "/var/lib/airflow/dags",
                                  "status_dir": STATUS_DIR, "interval": 10, "jitter": 2, "parallelism": 16, "keep": 2}


def status(ok: bool, error: str | None = None) -> str:
    """A status file as the engine writes it."""
    return json.dumps({"ok": ok, "last_error": error, "tenant": "x", "rejected": []}, indent=2, sort_keys=True) + "\n"


def slurped(tenant: str, text: str | None) -> dict[str, Any]:
    """One result of the looped slurp, as Ansible registers it (a missing file fails)."""
    if text is None:
        return {"item": tenant, "failed": True, "msg": f"file not found: {STATUS_DIR}/{tenant}.json"}
    return {"item": tenant, "failed": False, "content": base64.b64encode(text.encode()).decode(), "encoding": "base64"}


def test_engine_config_keeps_every_tenant_key_but_the_team() -> None:
    config = dag_sync_engine_config(TENANTS, **ENGINE_OPTIONS)
    assert config == {**ENGINE_OPTIONS, "tenants": [{"name": "team_a"},
                                                    {"name": "team_b", "prefix": "team-b", "marker": "_PUBLISHED"}]}
    assert TENANTS[1]["team"] == "b"  # the input is left as it is


def test_engine_config_names_the_endpoint_and_region_only_when_set() -> None:
    config = dag_sync_engine_config(TENANTS, **ENGINE_OPTIONS, endpoint_url="http://s3:9000", region="us-east-1")
    assert (config["endpoint_url"], config["region"]) == ("http://s3:9000", "us-east-1")
    assert not {"endpoint_url", "region"} & dag_sync_engine_config(TENANTS, **ENGINE_OPTIONS, endpoint_url="", region="").keys()


@pytest.mark.parametrize("tenants", ["team_a", [["team_a"]]])
def test_engine_config_refuses_what_is_not_a_tenant_list(tenants: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="dag_sync_engine_config"):
        dag_sync_engine_config(tenants, **ENGINE_OPTIONS)


def test_every_synced_tenant_is_left_out() -> None:
    assert dag_sync_unsynced([slurped("team_a", status(True)), slurped("team_b", status(True))]) == []


def test_a_failing_tenant_is_named_with_its_error() -> None:
    results = [slurped("team_a", status(True)), slurped("team_b", status(False, "AccessDenied on s3://dags/team_b/"))]
    assert dag_sync_unsynced(results) == ["team_b (AccessDenied on s3://dags/team_b/)"]


def test_a_tenant_without_status_file_has_not_synced() -> None:
    assert dag_sync_unsynced([slurped("team_a", None), slurped("team_b", status(True))]) == ["team_a (no status file yet)"]


def test_a_failure_without_error_text_says_so() -> None:
    assert dag_sync_unsynced([slurped("team_a", status(False))]) == ["team_a (no error recorded)"]


def test_an_unreadable_status_is_not_a_sync() -> None:
    assert dag_sync_unsynced([slurped("team_a", "{not json")])[0].startswith("team_a (unreadable status file")
    assert dag_sync_unsynced([slurped("team_a", "[]")]) == ["team_a (unreadable status file)"]


def test_skipped_results_and_an_empty_loop_name_nobody() -> None:
    assert dag_sync_unsynced([{"item": "team_a", "skipped": True}]) == []
    assert dag_sync_unsynced([]) == []


def test_the_unsynced_filter_refuses_what_is_not_a_result_list() -> None:
    with pytest.raises(AnsibleFilterError, match="looped slurp"):
        dag_sync_unsynced("team_a")  # type: ignore[arg-type]  # the wrong input is the test


def test_filters_are_registered() -> None:
    assert EngineConfigFilters().filters()["dag_sync_engine_config"] is dag_sync_engine_config
    assert UnsyncedFilters().filters()["dag_sync_unsynced"] is dag_sync_unsynced


# tasks/engine.yml looks for this in each status file (ansible.builtin.find, contains, read_whole_file).
WAIT_PATTERN = r'"ok":\s*true\b'


@pytest.mark.parametrize(("text", "synced"), [
    (status(True), True),
    (status(False, "AccessDenied"), False),
    (json.dumps({"ok": True}), True),  # compact JSON too
    (status(False, 'key "ok": true rejected'), False),  # quotes inside a string are escaped
])
def test_the_wait_finds_only_synced_status_files(text: str, synced: bool) -> None:
    assert bool(re.search(WAIT_PATTERN, text)) is synced


def test_the_wait_pattern_is_the_one_of_the_role() -> None:
    engine_tasks = (ROLES / "airflow_dag_sync" / "tasks" / "engine.yml").read_text()
    assert f"contains: '{WAIT_PATTERN}'" in engine_tasks


FOUND = {"files": [{"path": f"{STATUS_DIR}/team_b.json"}]}
RENDER_CASES: dict[str, dict[str, Any]] = {
    "team_b_synced": {"__airflow_dag_sync_synced": FOUND},
    "none_found": {"__airflow_dag_sync_synced": {"files": []}},
    "before_the_wait": {},
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    play_vars = {"airflow_dag_sync_root": "/var/lib/airflow/dags", "airflow_dag_sync_tenants": TENANTS,
                 "airflow_dag_sync_bucket": "airflow-dags", "airflow_venv_dir": "/opt/airflow",
                 "airflow_config_dir": "/etc/airflow", "airflow_dag_sync_region": "us-east-1"}
    expression = ("{{ {'files': __airflow_dag_sync_status_files, 'unsynced': __airflow_dag_sync_unsynced,"
                  " 'config': __airflow_dag_sync_engine_config, 'retries': __airflow_dag_sync_wait_retries} }}")
    return render(tmp_path_factory.mktemp("dag_sync_vars"), "airflow_dag_sync", expression, RENDER_CASES, play_vars)


def test_one_status_file_per_tenant(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["none_found"]["files"] == [f"{STATUS_DIR}/team_a.json", f"{STATUS_DIR}/team_b.json"]


def test_the_tenants_not_found_synced_are_named(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["team_b_synced"]["unsynced"] == ["team_a"]
    assert rendered["none_found"]["unsynced"] == ["team_a", "team_b"]
    assert rendered["before_the_wait"]["unsynced"] == ["team_a", "team_b"]


def test_the_role_renders_the_engine_config_from_its_options(rendered: dict[str, dict[str, Any]]) -> None:
    config = rendered["none_found"]["config"]
    assert config["status_dir"] == STATUS_DIR and config["region"] == "us-east-1" and "endpoint_url" not in config
    assert [tenant.get("team") for tenant in config["tenants"]] == [None, None]


def test_the_wait_lasts_about_the_first_sync_timeout(rendered: dict[str, dict[str, Any]]) -> None:
    assert rendered["none_found"]["retries"] == 60


def test_the_validate_of_the_role_checks_the_config_with_the_package(
    rendered: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """The validate: of tasks/engine.yml, with the package installed as the role installs it (its modules
    under <airflow_dag_sync_engine_dir>/airflow_dag_sync), accepts the config the role renders and refuses a bad one."""
    engine_tasks = (ROLES / "airflow_dag_sync" / "tasks" / "engine.yml").read_text()
    validate = re.search(r"validate: >-\n((?:      .*\n)+)", engine_tasks)
    assert validate is not None
    command = " ".join(validate.group(1).split())
    assert command == ("/usr/bin/env PYTHONPATH={{ airflow_dag_sync_engine_dir }} {{ airflow_venv_dir }}/bin/python -B"
                       " -m airflow_dag_sync --check-config --config %s")
    engine_dir = tmp_path / "engine"
    (engine_dir / "airflow_dag_sync").mkdir(parents=True)
    for module in (ROLES / "airflow_dag_sync" / "files" / "airflow_dag_sync").glob("*.py"):
        (engine_dir / "airflow_dag_sync" / module.name).write_bytes(module.read_bytes())
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(rendered["none_found"]["config"]))
    bad.write_text(json.dumps({**rendered["none_found"]["config"], "aws_secret_access_key": "x"}))

    def run(config: Path) -> subprocess.CompletedProcess[str]:
        line = (command.replace("{{ airflow_dag_sync_engine_dir }}", str(engine_dir))
                .replace("{{ airflow_venv_dir }}/bin/python", sys.executable).replace("%s", str(config)))
        return subprocess.run(shlex.split(line), capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path)

    checked = run(good)
    assert checked.returncode == 0, checked.stderr
    assert sorted(json.loads(checked.stdout)["tenants"]) == ["team_a", "team_b"]
    refused = run(bad)
    assert refused.returncode == 2 and "credentials are not accepted" in refused.stderr
    assert not (engine_dir / "airflow_dag_sync" / "__pycache__").exists()  # -B: root writes nothing there
