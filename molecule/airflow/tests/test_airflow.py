"""The base role on one host: install, configuration, secrets and the operator wrapper."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import inventory_var, run_json

PROVIDERS = ["amazon", "celery", "cncf-kubernetes", "fab", "postgres"]


def test_virtualenv_runs_airflow_3_3_2(host: Any) -> None:
    result = host.run("/opt/airflow/bin/python -c 'import airflow; print(airflow.__version__)'")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "3.3.2"


def test_providers_installed(host: Any) -> None:
    packages = {p["name"].lower(): p["version"] for p in run_json(host, "/opt/airflow/bin/pip list --format json")}
    for provider in PROVIDERS:
        assert f"apache-airflow-providers-{provider}" in packages, f"provider {provider} missing"


@pytest.mark.parametrize(
    ("path", "user", "group", "mode"),
    [
        ("/opt/airflow", "root", "root", 0o755),
        ("/etc/airflow", "root", "airflow", 0o750),
        ("/etc/airflow/airflow.cfg", "root", "airflow", 0o640),
        ("/etc/airflow/env.d", "root", "root", 0o700),
        ("/etc/airflow/env.d/00-airflow.env", "root", "root", 0o600),
        ("/var/lib/airflow", "airflow", "airflow", 0o750),
        ("/var/lib/airflow/dags", "airflow", "airflow", 0o750),
        ("/var/log/airflow", "airflow", "airflow", 0o750),
        ("/usr/local/bin/airflow", "root", "root", 0o755),
    ],
)
def test_owners_and_modes(host: Any, path: str, user: str, group: str, mode: int) -> None:
    f = host.file(path)
    assert f.exists, path
    assert (f.user, f.group, f.mode) == (user, group, mode)


def test_airflow_user_is_a_system_account(host: Any) -> None:
    user = host.user("airflow")
    assert user.exists and user.uid < 1000
    assert user.shell == "/usr/sbin/nologin"


def test_wrapper_sees_the_configured_secrets(host: Any) -> None:
    fernet = host.run("airflow config get-value core fernet_key")
    assert fernet.rc == 0, fernet.stderr
    assert fernet.stdout.strip() == inventory_var(host, "airflow_fernet_key")
    jwt = host.run("airflow config get-value api_auth jwt_secret")
    assert jwt.stdout.strip() == inventory_var(host, "airflow_jwt_secret")


def test_wrapper_uses_the_services_config_file(host: Any) -> None:
    result = host.run("airflow config get-value core dags_folder")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "/var/lib/airflow/dags"


def test_wrapper_refuses_non_root(host: Any) -> None:
    result = host.run("setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/local/bin/airflow version")
    assert result.rc == 1
    assert "run as root" in result.stderr


def test_safe_defaults_rendered(host: Any) -> None:
    expected = {
        ("core", "auth_manager"): "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
        ("core", "load_examples"): "False",
        ("api", "expose_config"): "False",
        ("dag_processor", "dag_bundle_storage_path"): "/var/lib/airflow/dag_bundles",
        ("scheduler", "enable_health_check"): "True",
        ("core", "execution_api_server_url"): "http://mol-airflow:8080/execution/",
    }
    for (section, key), value in expected.items():
        result = host.run(f"airflow config get-value {section} {key}")
        assert result.stdout.strip() == value, f"[{section}] {key}: {result.stdout} {result.stderr}"


def test_no_file_with_generated_keys(host: Any) -> None:
    cfg = host.file("/etc/airflow/airflow.cfg").content_string
    for secret_key in ("fernet_key", "secret_key", "jwt_secret", "sql_alchemy_conn"):
        assert f"\n{secret_key} =" not in cfg, f"{secret_key} written to airflow.cfg"
    # Airflow writes $AIRFLOW_HOME/airflow.cfg with random keys when it finds no config.
    found = host.run("find / -xdev -name airflow.cfg -not -path '/opt/airflow/*' 2>/dev/null").stdout.split()
    assert found == ["/etc/airflow/airflow.cfg"]


def test_airflow_cfg_has_managed_header(host: Any) -> None:
    assert host.file("/etc/airflow/airflow.cfg").content_string.startswith("#")
    assert "Ansible managed" in host.file("/etc/airflow/airflow.cfg").content_string


def test_parallelism_left_unset_is_sized_to_the_host_memory(host: Any) -> None:
    """Memory guards: what MemTotal leaves after the reservations of a host running every component
    (1024 MiB each for the system, api-server, scheduler and DAG processor, 768 for the triggerer),
    by the scenario's 2048 MiB budget + 64 MiB a slot, at most 32; the task environment has the budget."""
    memory_mb = int(host.run("awk '/^MemTotal:/ {print $2}' /proc/meminfo").stdout) // 1024
    expected = min(32, (memory_mb - (4 * 1024 + 768)) // (2048 + 64))
    assert 1 <= expected < 32, f"the host's {memory_mb} MiB do not show the sizing"
    result = host.run("airflow config get-value core parallelism")
    assert result.rc == 0, result.stderr
    assert int(result.stdout) == expected, f"MemTotal {memory_mb} MiB"
    assert "export AIRFLOW_DEPLOY_TASK_MEMORY_BUDGET_MB='2048'" in host.file("/usr/local/bin/airflow").content_string
    assert host.file("/var/lib/airflow/plugins/airflow_deploy_memory_guard.py").exists
