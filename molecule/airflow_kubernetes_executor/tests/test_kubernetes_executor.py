"""KubernetesExecutor on a node without a cluster: Airflow's own code renders the task pods of a
test DAG (one task on the default queue, one on `gpu`), and every pod and every cluster-side
manifest validates against a pinned Kubernetes schema (kubernetes-validate)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cluster_probe import s3
from conftest import assert_fails_in_preflight, inventory_var, wait_for

KUBERNETES = "1.33.0"  # the schema version every pod and manifest is validated against
S3_HOST = "mol-k8s-s3"
ROOT = "/var/lib/airflow/dags"
ENGINE_DIR = "/usr/local/lib/airflow-deploy"  # airflow_dag_sync_engine_dir (default)
MANIFESTS = "/etc/airflow/kubernetes/manifests"
OUTPUT = "/tmp/k8s-pods"
LB_EXECUTION_API = "http://airflow.example.internal/execution/"

DAG = '''
from datetime import datetime
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(dag_id="k8s_pods", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    EmptyOperator(task_id="default_queue", executor="KubernetesExecutor")
    EmptyOperator(task_id="on_gpu", queue="gpu", executor="KubernetesExecutor")
'''

# Secrets of the node that no pod may carry (read from the inventory), and setting names.
SECRET_VARS = ["airflow_fernet_key", "airflow_api_secret_key", "airflow_jwt_secret", "airflow_metadata_db_password",
               "airflow_dag_sync_aws_secret_access_key"]
FORBIDDEN_NAMES = ["SQL_ALCHEMY_CONN", "FERNET_KEY", "JWT_SECRET", "SECRET_KEY", "postgresql"]


RENDER = Path(__file__).resolve().parent.parent / "render_pods.py"


def _node_secrets(host: Any) -> list[str]:
    """The node's secret values, the kubeconfig's token included."""
    kubeconfig = yaml.safe_load(inventory_var(host, "airflow_kubernetes_executor_kubeconfig"))
    return [inventory_var(host, name) for name in SECRET_VARS] + [kubeconfig["users"][0]["user"]["token"]]


def _tenants(arguments: list[str]) -> list[str]:
    """The --tenant values of the sync engine's arguments."""
    return [arguments[i + 1] for i, arg in enumerate(arguments) if arg == "--tenant"]


def _read_pods(host: Any, directory: str) -> dict[str, dict[str, Any]]:
    files = host.check_output(f"ls {directory}/airflow_yaml_output").split()
    rendered = [yaml.safe_load(host.file(f"{directory}/airflow_yaml_output/{name}").content_string) for name in files]
    return {pod["metadata"]["annotations"]["task_id"]: pod for pod in rendered}


@pytest.fixture(scope="module")
def synced(host: Any) -> None:
    s3(S3_HOST, "put", "airflow-dags", "dags/team_a/k8s_pods.py", DAG)
    wait_for(lambda: host.file(f"{ROOT}/team_a/current/k8s_pods.py").exists, 300, what="k8s_pods.py synced")


@pytest.fixture(scope="module")
def pods(host: Any, synced: None) -> dict[str, dict[str, Any]]:
    """Task id -> the pod Airflow renders for it as a task of bundle team_a.

    `airflow kubernetes generate-dag-yaml -B team_a` would do it, but cncf-kubernetes 10.25 passes
    -B's list where the workload needs a string (pydantic error); render_pods.py calls the same
    command function with the bundle name fixed, in the CLI wrapper's environment and user.
    """
    host.run_expect([0], f"printf %s {shlex.quote(RENDER.read_text())} > /var/tmp/render_pods.py")
    host.run_expect([0], "sed 's#/bin/airflow\\x27#/bin/python\\x27#' /usr/local/bin/airflow > /var/tmp/airflow-python")
    host.run_expect([0], f"rm -rf {OUTPUT}")
    result = host.run(f"sh /var/tmp/airflow-python /var/tmp/render_pods.py k8s_pods 2026-01-01T00:00:00+00:00 team_a {OUTPUT}")
    assert result.rc == 0, result.stdout + result.stderr
    return _read_pods(host, OUTPUT)


def test_the_operator_command_renders_the_pods(host: Any, synced: None) -> None:
    """`airflow kubernetes generate-dag-yaml` as documented (no bundle name: the hook cannot tell the
    tenant, so the init container syncs every tenant)."""
    host.run_expect([0], f"rm -rf {OUTPUT}-cli")
    result = host.run(f"airflow kubernetes generate-dag-yaml k8s_pods -l 2026-01-01T00:00:00+00:00 -o {OUTPUT}-cli")
    assert result.rc == 0, result.stdout + result.stderr
    pods = _read_pods(host, f"{OUTPUT}-cli")
    assert sorted(pods) == ["default_queue", "on_gpu"]
    for pod in pods.values():
        kubernetes_validate.validate(pod, KUBERNETES, strict=True)
        sync = _container(pod, "dag-sync", init=True)
        assert _tenants(sync["args"]) == ["team_a=team_a", "team_b=team-b"], sync["args"]


def _manifests(host: Any) -> list[dict[str, Any]]:
    names = host.check_output(f"ls {MANIFESTS}").split()
    return [doc for name in names for doc in yaml.safe_load_all(host.file(f"{MANIFESTS}/{name}").content_string) if doc]


def _container(pod: dict[str, Any], name: str, init: bool = False) -> dict[str, Any]:
    containers = pod["spec"]["initContainers" if init else "containers"]
    return next(container for container in containers if container["name"] == name)


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {item["name"]: item.get("value", "") for item in container.get("env", [])}


def test_both_tasks_rendered(pods: dict[str, dict[str, Any]]) -> None:
    assert sorted(pods) == ["default_queue", "on_gpu"]


def test_every_pod_validates_against_the_kubernetes_schema(pods: dict[str, dict[str, Any]]) -> None:
    for pod in pods.values():
        kubernetes_validate.validate(pod, KUBERNETES, strict=True)


def test_every_manifest_validates_against_the_kubernetes_schema(host: Any) -> None:
    manifests = _manifests(host)
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)
    kinds = sorted(manifest["kind"] for manifest in manifests)
    for kind in ("Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "NetworkPolicy"):
        assert kind in kinds, kinds


def test_the_role_grants_exactly_what_the_executor_needs(host: Any) -> None:
    role = next(manifest for manifest in _manifests(host) if manifest["kind"] == "Role")
    rules = {resource: sorted(rule["verbs"]) for rule in role["rules"] for resource in rule["resources"]}
    assert rules == {"pods": ["create", "delete", "get", "list", "patch", "watch"], "pods/log": ["get"]}


def test_tasks_call_the_execution_api_through_the_lb(pods: dict[str, dict[str, Any]]) -> None:
    for pod in pods.values():
        assert _env(_container(pod, "base"))["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == LB_EXECUTION_API


def test_the_init_container_syncs_the_task_tenant_into_the_mounted_path(pods: dict[str, dict[str, Any]]) -> None:
    for pod in pods.values():
        sync = _container(pod, "dag-sync", init=True)
        arguments = sync["command"] + sync["args"]
        assert "--once" in arguments
        assert _tenants(arguments) == ["team_a=team_a"], arguments
        assert arguments[arguments.index("--dest-root") + 1] == ROOT
        mounted = {mount["name"]: mount["mountPath"] for mount in sync["volumeMounts"]}
        assert mounted["dags"] == ROOT
        base_mounts = {mount["name"]: mount["mountPath"] for mount in _container(pod, "base")["volumeMounts"]}
        assert base_mounts["dags"] == ROOT
        bundles = json.loads(_env(_container(pod, "base"))["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
        assert {bundle["name"]: bundle["kwargs"]["path"] for bundle in bundles}["team_a"] == f"{ROOT}/team_a/current"


def test_the_pods_run_the_engine_package_of_the_hosts(host: Any, pods: dict[str, dict[str, Any]]) -> None:
    """The ConfigMap holds the modules airflow_dag_sync installed (read from the host), mounted as the package."""
    installed = f"{ENGINE_DIR}/airflow_dag_sync"
    modules = sorted(name for name in host.check_output(f"ls {installed}").split() if name.endswith(".py"))
    configmap = next(manifest for manifest in _manifests(host)
                     if manifest["kind"] == "ConfigMap" and manifest["metadata"]["name"] == "airflow-dag-sync")
    assert sorted(configmap["data"]) == modules and "__main__.py" in modules
    for name in modules:
        assert configmap["data"][name] == host.file(f"{installed}/{name}").content_string, name
    for pod in pods.values():
        sync = _container(pod, "dag-sync", init=True)
        assert sync["command"] == ["python", "-m", "airflow_dag_sync"]
        mounts = {mount["name"]: mount["mountPath"] for mount in sync["volumeMounts"]}
        assert mounts["dag-sync-engine"] == _env(sync)["PYTHONPATH"] + "/airflow_dag_sync"


def test_the_gpu_task_uses_the_gpu_template(pods: dict[str, dict[str, Any]]) -> None:
    gpu, default = pods["on_gpu"], pods["default_queue"]
    assert _container(gpu, "base")["resources"]["limits"]["nvidia.com/gpu"] in (1, "1")
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in gpu["spec"]["tolerations"]
    assert "nvidia.com/gpu" not in _container(default, "base")["resources"].get("limits", {})
    assert not default["spec"].get("tolerations")


def test_resources_are_set(pods: dict[str, dict[str, Any]]) -> None:
    for pod in pods.values():
        resources = _container(pod, "base")["resources"]
        assert resources["requests"]["cpu"] and resources["requests"]["memory"], resources
        assert _container(pod, "dag-sync", init=True)["resources"]["requests"], pod["spec"]["initContainers"]


def test_no_database_credentials_or_secrets_in_any_pod(host: Any, pods: dict[str, dict[str, Any]]) -> None:
    secrets = _node_secrets(host)
    assert all(secrets), "a secret of the inventory is empty"
    for task_id, pod in pods.items():
        text = json.dumps(pod)
        for secret in secrets:
            assert secret not in text, f"a node secret is in the pod of {task_id}"
        for name in FORBIDDEN_NAMES:
            assert name not in text, f"{name} is in the pod of {task_id}"


@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        ({"airflow_kubernetes_executor_kubeconfig": ""}, "airflow_kubernetes_executor_kubeconfig"),
        ({"airflow_remote_log_folder": ""}, "airflow_remote_log_folder is empty"),
        ({"airflow_kubernetes_executor_queue_templates": {"gpu": {"resourcez": {}}}},
         "airflow_kubernetes_executor_queue_templates['gpu'] is not a queue template"),
    ],
    ids=["missing-kubeconfig", "remote-logging-off", "unknown-queue-template-key"],
)
def test_bad_inputs_fail_in_preflight(host: Any, extra_vars: dict[str, Any], message: str) -> None:
    output = assert_fails_in_preflight(extra_vars, message)
    assert not [secret for secret in _node_secrets(host) if secret in output]
