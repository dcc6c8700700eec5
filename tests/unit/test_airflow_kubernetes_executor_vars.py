"""The airflow_kubernetes_executor role on the controller (no host touched): what it derives from the
documented options of airflow and airflow_dag_sync, and its preflight, run on localhost with good
inputs and with several bad ones at once."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from role_vars import ROLES, run_playbook

ROLE = ROLES / "airflow_kubernetes_executor"
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: gpu-cluster, cluster: {server: "https://k8s.example.internal:6443"}}]
users: [{name: airflow-scheduler, user: {token: unit-test-token}}]
contexts: [{name: airflow@gpu-cluster, context: {cluster: gpu-cluster, user: airflow-scheduler}}]
current-context: airflow@gpu-cluster
"""
INVENTORY: dict[str, Any] = {
    "airflow_executor": "LocalExecutor,KubernetesExecutor",
    "airflow_base_url": "http://airflow.example.internal",
    "airflow_fernet_key": "unit-test-fernet-key",
    "airflow_api_secret_key": "unit-test-api-secret",
    "airflow_jwt_secret": "unit-test-jwt-secret",
    "airflow_metadata_db_password": "unit-test-db-password",
    "airflow_dag_sync_bucket": "airflow-dags",
    "airflow_dag_sync_tenants": [{"name": "team_a"}, {"name": "team_b", "prefix": "team-b", "marker": "_PUBLISHED"}],
    "airflow_dag_sync_endpoint_url": "http://s3.example.internal:9000",
    "airflow_dag_sync_region": "us-east-1",
    "airflow_dag_sync_aws_access_key_id": "unit-test-key-id",
    "airflow_dag_sync_aws_secret_access_key": "unit-test-dag-secret",
    "airflow_kubernetes_executor_kubeconfig": KUBECONFIG,
    "airflow_remote_log_folder": "s3://airflow-logs/tasks",
    "airflow_remote_log_endpoint_url": "http://s3.example.internal:9000",
    "airflow_remote_log_aws_access_key_id": "unit-test-log-key-id",
    "airflow_remote_log_aws_secret_access_key": "unit-test-log-secret",
    "airflow_kubernetes_executor_egress_cidrs": ["10.0.0.110/32"],
}
SECRETS = ["unit-test-fernet-key", "unit-test-api-secret", "unit-test-jwt-secret", "unit-test-db-password",
           "unit-test-dag-secret", "unit-test-token", "unit-test-log-key-id", "unit-test-log-secret"]


def _play(tmp_path: Path, inventory: dict[str, Any], tasks: list[dict[str, Any]]) -> Path:
    """A play on localhost with the defaults of the role and of its dependencies, the inventory and the role's vars."""
    (tmp_path / "templates").symlink_to(ROLE / "templates")
    inventory_file = tmp_path / "inventory_vars.yml"
    inventory_file.write_text(yaml.safe_dump(inventory))
    vars_files = [str(ROLES / "airflow" / "defaults" / "main.yml"), str(ROLES / "airflow_dag_sync" / "defaults" / "main.yml"),
                  str(ROLE / "defaults" / "main.yml"), str(inventory_file), str(ROLE / "vars" / "main.yml")]
    play = {"name": "Role", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars_files": vars_files, "tasks": tasks}
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def _render(tmp_path: Path, expressions: dict[str, str], inventory: dict[str, Any] | None = None) -> dict[str, Any]:
    tasks = [{"name": name, "ansible.builtin.debug": {"msg": expression}} for name, expression in expressions.items()]
    results = run_playbook(_play(tmp_path, INVENTORY | (inventory or {}), tasks))
    return {name: results[name]["msg"] for name in expressions}


def _preflight(tmp_path: Path, inventory: dict[str, Any], succeed: bool) -> list[dict[str, Any]]:
    """The result of each check of the preflight."""
    tasks = [{"name": "Preflight", "ansible.builtin.include_tasks": str(ROLE / "tasks" / "preflight.yml")}]
    results = run_playbook(_play(tmp_path, INVENTORY | inventory, tasks), succeed=succeed)
    return results["Check the inputs"]["results"]


def test_the_pods_get_the_nodes_execution_api_url(tmp_path: Path) -> None:
    rendered = _render(tmp_path, {"url": "{{ __airflow_kubernetes_executor_execution_api_url }}"})
    assert rendered["url"] == "http://airflow.example.internal/execution/"


def test_airflow_config_and_the_fallbacks_set_the_execution_api_url(tmp_path: Path) -> None:
    expression = "{{ __airflow_kubernetes_executor_execution_api_url }}"
    tasks = [
        {"name": "config", "ansible.builtin.debug": {"msg": expression},
         "vars": {"airflow_config": {"core": {"execution_api_server_url": "https://api.example.internal/execution/"}}}},
        {"name": "slash", "ansible.builtin.debug": {"msg": expression},
         "vars": {"airflow_base_url": "https://airflow.example.internal/"}},
    ]
    results = run_playbook(_play(tmp_path, INVENTORY, tasks))
    assert results["config"]["msg"] == "https://api.example.internal/execution/"
    assert results["slash"]["msg"] == "https://airflow.example.internal/execution/"


def test_without_airflow_base_url_the_host_own_api_server_is_used(tmp_path: Path) -> None:
    """The airflow role's default of airflow_base_url, without an airflow_lb group: this host's api-server."""
    inventory = {key: value for key, value in INVENTORY.items() if key != "airflow_base_url"}
    tasks = [{"name": "host", "ansible.builtin.debug": {"msg": "{{ __airflow_kubernetes_executor_execution_api_url }}"},
              "vars": {"airflow_api_tls_cert": "api.crt"}}]
    results = run_playbook(_play(tmp_path, inventory, tasks))
    assert results["host"]["msg"] == "https://localhost:8080/execution/"


def test_the_init_container_syncs_every_tenant_once(tmp_path: Path) -> None:
    rendered = _render(tmp_path, {"args": "{{ __airflow_kubernetes_executor_sync_args }}",
                                  "tenants": "{{ __airflow_kubernetes_executor_tenant_args }}"})
    assert rendered["args"] == [
        "--once", "--bucket", "airflow-dags", "--prefix", "dags", "--dest-root", "/var/lib/airflow/dags", "--no-fsync",
        "--endpoint-url", "http://s3.example.internal:9000", "--region", "us-east-1",
        "--tenant", "team_a=team_a", "--tenant", "team_b=team-b", "--marker", "_PUBLISHED"]
    assert rendered["tenants"] == {"team_a": ["--tenant", "team_a=team_a"],
                                   "team_b": ["--tenant", "team_b=team-b", "--marker", "_PUBLISHED"]}


def test_the_pods_get_the_nodes_bundles_and_no_secret(tmp_path: Path) -> None:
    rendered = _render(tmp_path, {
        "env": "{{ __airflow_kubernetes_executor_pod_env }}",
        "nodes": "{{ airflow_dag_sync_tenants | airflow_deploy.cluster.dag_bundles('engine', root=airflow_dag_sync_root,"
                 " refresh_interval=airflow_dag_sync_bundle_refresh_interval) }}",
        "pod": "{{ lookup('ansible.builtin.template', 'pod_template.yaml.j2') }}",
    })
    env = rendered["env"]
    assert json.loads(env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"]) == rendered["nodes"]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow.example.internal/execution/"
    assert "AIRFLOW__CORE__MULTI_TEAM" not in env
    # The nodes' log endpoint, never their keys.
    assert json.loads(env["AIRFLOW_CONN_AWS_TASK_LOGS"]) == {
        "conn_type": "aws", "extra": {"endpoint_url": "http://s3.example.internal:9000"}}
    assert env["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER"] == "s3://airflow-logs/tasks"
    for secret in SECRETS:
        assert secret not in json.dumps(env) and secret not in rendered["pod"]


def test_s3_bundle_mode_gives_the_pods_the_keyless_connection(tmp_path: Path) -> None:
    env = _render(tmp_path, {"env": "{{ __airflow_kubernetes_executor_pod_env }}"},
                  {"airflow_dag_sync_mode": "s3_bundle", "airflow_config": {"core": {"multi_team": True}}})["env"]
    assert json.loads(env["AIRFLOW_CONN_AWS_DAG_BUNDLES"]) == {
        "conn_type": "aws", "extra": {"endpoint_url": "http://s3.example.internal:9000", "region_name": "us-east-1"}}
    assert env["AIRFLOW__CORE__MULTI_TEAM"] == "True"
    bundles = json.loads(env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"])
    assert [bundle["kwargs"]["prefix"] for bundle in bundles] == ["dags/team_a", "dags/team-b"]


def test_the_queue_template_renders_the_combined_pod(tmp_path: Path) -> None:
    tasks = [{"name": "gpu", "ansible.builtin.debug": {"msg": "{{ lookup('ansible.builtin.template', 'pod_template_queue.yaml.j2') }}"},
              "vars": {"item": {"key": "gpu", "value": {}}}}]
    text = run_playbook(_play(tmp_path, INVENTORY | {"airflow_kubernetes_executor_tolerations": [{"key": "spot", "operator": "Exists"}]},
                              tasks))["gpu"]["msg"]
    pod = yaml.safe_load(text)
    assert pod["kind"] == "Pod" and "metadata" not in pod
    assert pod["spec"]["containers"] == [{"name": "base", "resources": {
        "requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi", "nvidia.com/gpu": 1}}}]
    assert pod["spec"]["tolerations"] == [{"key": "spot", "operator": "Exists"},
                                          {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]


def test_good_inputs_pass_the_preflight(tmp_path: Path) -> None:
    results = _preflight(tmp_path, {}, succeed=True)
    assert len(results) == 15
    assert not [result["item"]["check"] for result in results if result.get("failed")]


def test_the_preflight_names_every_bad_input_at_once_without_secrets(tmp_path: Path) -> None:
    bad = {
        "airflow_executor": "CeleryKubernetesExecutor",
        "airflow_kubernetes_executor_kubeconfig": "",
        "airflow_kubernetes_executor_namespace": "Not_A_Label",
        "airflow_kubernetes_executor_queue_templates": {"gpu": {"resourcez": {}}, "cpu": {}},
        "airflow_kubernetes_executor_egress_cidrs": [],
        "airflow_kubernetes_executor_worker_env": {"AIRFLOW__CORE__FERNET_KEY": "x"},
        "airflow_config": {"kubernetes_executor": {"namespace": "x"}},
    }
    results = _preflight(tmp_path, bad, succeed=False)
    failed = {result["item"]["check"]: result["msg"] for result in results if result.get("failed")}
    assert sorted(failed) == sorted([
        "KubernetesExecutor is one of the executors",
        "the kubeconfig has a cluster, a user and the context to use",
        "the namespace, the batch size and the names of Kubernetes objects",
        "the queue templates",
        "the network policy has destinations",
        "the extra environment of the pods",
        "airflow_config leaves this role's settings alone",
        # the forbidden name of worker_env lands in the base pod
        "the base pod template is a single-container pod without any cluster secret",
    ])
    assert "airflow_executor is 'CeleryKubernetesExecutor'" in failed["KubernetesExecutor is one of the executors"]
    assert failed["the queue templates"].startswith(
        "airflow_kubernetes_executor_queue_templates['gpu'] is not a queue template (unknown: resourcez):")
    assert "airflow_config sets kubernetes_executor.namespace," in failed["airflow_config leaves this role's settings alone"]
    output = json.dumps(results)
    for secret in SECRETS:
        assert secret not in output


def test_a_kubeconfig_that_is_not_yaml_is_named_once(tmp_path: Path) -> None:
    results = _preflight(tmp_path, {"airflow_kubernetes_executor_kubeconfig": "clusters: [unclosed"}, succeed=False)
    failed = [result["msg"] for result in results if result.get("failed")]
    assert len(failed) == 1 and failed[0].startswith("airflow_kubernetes_executor_kubeconfig is not valid YAML")


def test_a_secret_in_the_pod_environment_is_refused(tmp_path: Path) -> None:
    results = _preflight(tmp_path, {"airflow_kubernetes_executor_worker_env": {"DB": "unit-test-db-password"},
                                    "airflow_kubernetes_executor_queue_templates": {
                                        "gpu": {"node_selector": {"pool": "unit-test-jwt-secret"}}}}, succeed=False)
    failed = {result["item"]["check"] for result in results if result.get("failed")}
    assert failed == {"the base pod template is a single-container pod without any cluster secret",
                      "the queue pod templates carry no cluster secret"}
    output = json.dumps(results)
    for secret in SECRETS:
        assert secret not in output


def test_the_pods_run_the_engine_package_read_from_the_hosts(tmp_path: Path) -> None:
    """The ConfigMap holds every module as tasks/manifests.yml read it (slurp) from airflow_dag_sync_engine_dir;
    mounted as the pod template mounts it, the init container's command runs that package."""
    package = ROLES / "airflow_dag_sync" / "files" / "airflow_dag_sync"
    installed = "/usr/local/lib/airflow-deploy/airflow_dag_sync"
    read = {"results": [{"item": f"{installed}/{path.name}", "source": f"{installed}/{path.name}", "encoding": "base64",
                         "content": base64.b64encode(path.read_bytes()).decode()} for path in sorted(package.glob("*.py"))]}
    rendered = _render(tmp_path, {
        "configmap": "{{ lookup('ansible.builtin.template', 'manifests/30-configmap-dag-sync.yaml.j2') }}",
        "pod": "{{ lookup('ansible.builtin.template', 'pod_template.yaml.j2') }}",
    }, {"__airflow_kubernetes_executor_engine_read": read})
    data = yaml.safe_load(rendered["configmap"])["data"]
    assert data == {path.name: path.read_text() for path in package.glob("*.py")}
    assert {"__init__.py", "__main__.py", "direct_get.py"} <= set(data)

    pod = yaml.safe_load(rendered["pod"])
    [sync] = pod["spec"]["initContainers"]
    env = {item["name"]: item["value"] for item in sync["env"]}
    mount = {item["name"]: item for item in sync["volumeMounts"]}["dag-sync-engine"]
    assert mount["mountPath"] == env["PYTHONPATH"] + "/airflow_dag_sync" and mount["readOnly"]
    assert sync["command"] == ["python", "-m", "airflow_dag_sync"] and sync["args"][0] == "--once"
    assert {"name": "dag-sync-engine", "configMap": {"name": "airflow-dag-sync"}} in pod["spec"]["volumes"]

    # The ConfigMap as the kubelet mounts it, and the init container's command on it (--check-config: no S3).
    mounted = tmp_path / "mount" / "airflow_dag_sync"
    mounted.mkdir(parents=True)
    for name, text in data.items():
        (mounted / name).write_text(text)
    proc = subprocess.run([sys.executable, *sync["command"][1:], *sync["args"], "--check-config"],
                          env=os.environ | env | {"PYTHONPATH": str(mounted.parent)}, cwd=tmp_path,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert sorted(json.loads(proc.stdout)["tenants"]) == ["team_a", "team_b"]
    assert not (mounted / "__pycache__").exists()  # read-only in the pod: nothing written there
