"""The filters of the airflow_kubernetes_executor role: kubeconfig summary, the DAG sync arguments
of each tenant, the queue pod templates, their errors, and airflow_config keys the role owns."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter import (
    airflow_cfg_overlap,
    dag_sync_tenant_args,
    kubeconfig_summary,
    kubernetes_queue_errors,
    kubernetes_queue_pods,
)

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters:
  - name: gpu-cluster
    cluster:
      server: https://k8s.example.internal:6443
      certificate-authority-data: Q0EtREFUQQ==
users:
  - name: airflow-scheduler
    user:
      token: the-secret-token
contexts:
  - name: airflow@gpu-cluster
    context: {cluster: gpu-cluster, user: airflow-scheduler}
current-context: airflow@gpu-cluster
"""


# kubeconfig_summary

def test_a_kubeconfig_is_summarised_by_its_names() -> None:
    assert kubeconfig_summary.kubeconfig_summary(KUBECONFIG) == {
        "yaml": True, "mapping": True, "clusters": ["gpu-cluster"], "contexts": ["airflow@gpu-cluster"],
        "users": ["airflow-scheduler"], "current": "airflow@gpu-cluster"}


def test_the_summary_holds_no_credential_and_no_server() -> None:
    text = str(kubeconfig_summary.kubeconfig_summary(KUBECONFIG))
    for secret in ("the-secret-token", "Q0EtREFUQQ==", "k8s.example.internal"):
        assert secret not in text


def test_a_parsed_kubeconfig_is_accepted() -> None:
    assert kubeconfig_summary.kubeconfig_summary(yaml.safe_load(KUBECONFIG))["contexts"] == ["airflow@gpu-cluster"]


@pytest.mark.parametrize(("content", "is_yaml"), [("", True), (None, True), ("just a string", True), ("[1, 2]", True),
                                                  ("a: [unclosed", False), ("\tkey: value", False)])
def test_no_kubeconfig_is_an_empty_summary(content: Any, is_yaml: bool) -> None:
    assert kubeconfig_summary.kubeconfig_summary(content) == {
        "yaml": is_yaml, "mapping": False, "clusters": [], "contexts": [], "users": [], "current": ""}


def test_entries_without_names_and_odd_sections_do_not_raise() -> None:
    summary = kubeconfig_summary.kubeconfig_summary(
        "clusters: [{cluster: {}}, 3]\ncontexts: {name: x}\nusers: null\ncurrent-context: [x]\n")
    assert summary == {"yaml": True, "mapping": True, "clusters": ["", ""], "contexts": [], "users": [], "current": ""}


# dag_sync_tenant_args

def test_each_tenant_gets_its_own_arguments_in_order() -> None:
    tenants: list[dict[str, Any]] = [
        {"name": "team_a"},
        {"name": "team_b", "prefix": "team-b", "marker": "_PUBLISHED", "max_objects": 100, "max_bytes": 0},
    ]
    assert dag_sync_tenant_args.dag_sync_tenant_args(tenants) == {
        "team_a": ["--tenant", "team_a=team_a"],
        "team_b": ["--tenant", "team_b=team-b", "--marker", "_PUBLISHED", "--max-objects", "100", "--max-bytes", "0"],
    }
    assert list(dag_sync_tenant_args.dag_sync_tenant_args(tenants)) == ["team_a", "team_b"]


def test_empty_options_are_left_out() -> None:
    tenant = {"name": "t", "prefix": "", "marker": None, "max_objects": None, "team": "x"}
    assert dag_sync_tenant_args.dag_sync_tenant_args([tenant]) == {"t": ["--tenant", "t=t"]}


@pytest.mark.parametrize("tenants", ["team_a", [{"prefix": "x"}], ["team_a"]])
def test_tenants_without_names_are_refused(tenants: Any) -> None:
    with pytest.raises(AnsibleFilterError):
        dag_sync_tenant_args.dag_sync_tenant_args(tenants)


# kubernetes_queue_pods

BASE_RESOURCES = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def test_a_queue_pod_combines_the_base_values_with_the_queue() -> None:
    queues = {"gpu": {"resources": {"limits": {"nvidia.com/gpu": 1}}, "tolerations": [GPU_TOLERATION],
                      "node_selector": {"gpu": "yes"}, "affinity": {"nodeAffinity": {}}}}
    pods = kubernetes_queue_pods.kubernetes_queue_pods(
        queues, resources=BASE_RESOURCES, tolerations=[{"key": "spot", "operator": "Exists"}, GPU_TOLERATION],
        node_selector={"pool": "tasks", "gpu": "no"})
    assert pods == {"gpu": {"apiVersion": "v1", "kind": "Pod", "spec": {
        "nodeSelector": {"pool": "tasks", "gpu": "yes"},
        "tolerations": [{"key": "spot", "operator": "Exists"}, GPU_TOLERATION],
        "affinity": {"nodeAffinity": {}},
        "containers": [{"name": "base", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"},
                                                      "limits": {"memory": "2Gi", "nvidia.com/gpu": 1}}}],
    }}}
    assert BASE_RESOURCES == {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}


def test_an_empty_queue_gets_the_base_resources_only() -> None:
    pods = kubernetes_queue_pods.kubernetes_queue_pods({"cpu": None, "small": {}}, resources=BASE_RESOURCES)
    for pod in pods.values():
        assert pod["spec"] == {"containers": [{"name": "base", "resources": BASE_RESOURCES}]}


def test_parts_of_the_wrong_type_are_left_out() -> None:
    pods = kubernetes_queue_pods.kubernetes_queue_pods(
        {"q": {"resources": "lots", "tolerations": "all", "node_selector": ["x"], "affinity": 1}, "r": "x"})
    assert pods["q"]["spec"] == {"containers": [{"name": "base", "resources": {}}]}
    assert pods["r"]["spec"] == {"containers": [{"name": "base", "resources": {}}]}


def test_a_queue_pod_renders_as_a_yaml_pod() -> None:
    pods = kubernetes_queue_pods.kubernetes_queue_pods({"gpu": {"tolerations": [GPU_TOLERATION]}}, resources=BASE_RESOURCES)
    text = yaml.safe_dump(pods["gpu"], sort_keys=False)
    assert yaml.safe_load(text) == pods["gpu"]
    assert text.startswith("apiVersion: v1\nkind: Pod\n")


# kubernetes_queue_errors

def test_valid_queue_templates_have_no_errors() -> None:
    queues = {"gpu": {"resources": {}, "tolerations": [GPU_TOLERATION], "node_selector": None, "affinity": {}},
              "a.b_c-1": {}, "x": {"tolerations": None}}
    assert kubernetes_queue_errors.kubernetes_queue_errors(queues) == []


def test_each_wrong_entry_is_named_with_what_is_wrong() -> None:
    queues: dict[str, Any] = {
        "gpu": {"resourcez": {}}, "ok": {}, "-bad": {}, "cpu": "big", "none": None,
        "mixed": {"resources": [1], "tolerations": {"key": "x"}, "affinity": "near", "node_selector": "x"},
    }
    assert kubernetes_queue_errors.kubernetes_queue_errors(queues) == [
        "airflow_kubernetes_executor_queue_templates['gpu'] is not a queue template (unknown: resourcez)",
        "airflow_kubernetes_executor_queue_templates['-bad'] is not a queue template (the queue name is not a label value)",
        "airflow_kubernetes_executor_queue_templates['cpu'] is not a queue template (the entry is a str, not a dict)",
        "airflow_kubernetes_executor_queue_templates['none'] is not a queue template (the entry is null, not a dict)",
        ("airflow_kubernetes_executor_queue_templates['mixed'] is not a queue template (resources is not a dict; "
         "node_selector is not a dict; affinity is not a dict; tolerations is not a list)"),
    ]


def test_a_long_queue_name_is_refused() -> None:
    assert kubernetes_queue_errors.kubernetes_queue_errors({"q" * 63: {}}) == []
    assert len(kubernetes_queue_errors.kubernetes_queue_errors({"q" * 64: {}})) == 1


def test_queue_templates_that_are_not_a_dict_are_refused() -> None:
    assert kubernetes_queue_errors.kubernetes_queue_errors(["gpu"]) == [  # type: ignore[arg-type]
        "airflow_kubernetes_executor_queue_templates is a list, not a dict of queue templates"]


# airflow_cfg_overlap

OWNED = {"kubernetes_executor": ["namespace", "pod_template_file"], "logging": ["remote_logging"]}


def test_the_keys_set_in_both_are_named() -> None:
    config = {"kubernetes_executor": {"Namespace": "x", "verify_ssl": False}, "LOGGING": {"remote_logging": True},
              "core": {"namespace": "y"}}
    assert airflow_cfg_overlap.airflow_cfg_overlap(config, OWNED) == ["kubernetes_executor.namespace",
                                                                      "logging.remote_logging"]


@pytest.mark.parametrize("config", [{}, {"kubernetes_executor": None}, {"logging": {"base_log_folder": "/x"}}, None])
def test_nothing_in_common_is_an_empty_list(config: Any) -> None:
    assert airflow_cfg_overlap.airflow_cfg_overlap(config, OWNED) == []


@pytest.mark.parametrize(("module", "name"), [(airflow_cfg_overlap, "airflow_cfg_overlap"),
                                              (dag_sync_tenant_args, "dag_sync_tenant_args"),
                                              (kubeconfig_summary, "kubeconfig_summary"),
                                              (kubernetes_queue_errors, "kubernetes_queue_errors"),
                                              (kubernetes_queue_pods, "kubernetes_queue_pods")])
def test_the_filters_are_registered(module: Any, name: str) -> None:
    assert module.FilterModule().filters()[name] is getattr(module, name)
