"""The pure logic of the KubernetesExecutor pod_mutation_hook (no Kubernetes client needed)."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace
from typing import Any

import airflow_deploy_pod_hook as hook
import pytest

SYNC_ARGS = ["--once", "--bucket", "dags", "--prefix", "dags",
             "--dest-root", "/var/lib/airflow/dags", "--no-fsync",
             "--tenant", "team_a=team_a", "--tenant", "team_b=b"]
TENANT_ARGS = {"team_a": ["--tenant", "team_a=team_a"],
               "team_b": ["--tenant", "team_b=b", "--marker", "_PUBLISHED"]}
QUEUES = {"gpu": "/etc/airflow/kubernetes/pod_template_gpu.yaml"}


def workload_args(queue: Any = "default", bundle: Any = "team_a") -> list[str]:
    payload = {"token": "", "dag_rel_path": "dag.py", "log_path": "x.log", "type": "ExecuteTask",
               "ti": {"id": "0190", "task_id": "t", "dag_id": "d", "run_id": "r", "try_number": 1,
                      "map_index": -1, "queue": queue, "pool_slots": 1, "priority_weight": 1},
               "bundle_info": {"name": bundle, "version": None}}
    return ["python", "-m", "airflow.sdk.execution_time.execute_workload", "--json-string", json.dumps(payload)]


def make_pod(args: list[str] | None = None, labels: dict[str, str] | None = None) -> SimpleNamespace:
    base = SimpleNamespace(name="base", args=args if args is not None else workload_args(),
                           resources={"requests": {"cpu": "500m"}})
    sync = SimpleNamespace(name="dag-sync", args=list(SYNC_ARGS))
    return SimpleNamespace(
        metadata=SimpleNamespace(name="d-t-abc", labels=labels if labels is not None else {"dag_id": "d"}),
        spec=SimpleNamespace(containers=[base], init_containers=[sync], tolerations=None, node_selector=None),
    )


def gpu_template() -> SimpleNamespace:
    return SimpleNamespace(
        metadata=None,
        spec=SimpleNamespace(
            containers=[SimpleNamespace(name="base", args=None,
                                        resources={"limits": {"nvidia.com/gpu": 1}})],
            init_containers=None,
            tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            node_selector=None,
        ),
    )


def fake_reconcile(base: SimpleNamespace, client: SimpleNamespace) -> SimpleNamespace:
    """A stand-in for PodGenerator.reconcile_pods: set fields of the client win, on a copy."""
    merged = copy.deepcopy(base)
    for attr in ("tolerations", "node_selector"):
        if getattr(client.spec, attr):
            setattr(merged.spec, attr, getattr(client.spec, attr))
    if client.spec.containers[0].resources:
        merged.spec.containers[0].resources = client.spec.containers[0].resources
    return merged


def run(pod: SimpleNamespace, loaded: list[str] | None = None) -> hook.Workload | None:
    def load(path: str) -> SimpleNamespace:
        if loaded is not None:
            loaded.append(path)
        return gpu_template()

    return hook.mutate_pod(pod, queue_templates=QUEUES, tenant_args=TENANT_ARGS,
                           load_template=load, reconcile=fake_reconcile)


def test_parse_workload_reads_queue_and_bundle() -> None:
    assert hook.parse_workload(workload_args("gpu", "team_b")) == hook.Workload(queue="gpu", bundle="team_b")


@pytest.mark.parametrize(
    "args",
    [
        None,
        "python -m x --json-string {}",
        [],
        ["python", "-m", "airflow.sdk.execution_time.execute_workload"],
        ["python", "--json-string"],
        ["python", "--json-string", "{not json"],
        ["python", "--json-string", "[1, 2]"],
        ["python", "--json-string", 42],
        ["python", "--json-string", json.dumps({"ti": "x", "bundle_info": 3})],
        ["python", "--json-string", json.dumps({"ti": {"queue": ""}, "bundle_info": {"name": None}})],
        ["airflow", "tasks", "run", "d", "t", "r"],
    ],
)
def test_parse_workload_rejects_other_shapes(args: Any) -> None:
    assert hook.parse_workload(args) is None


def test_parse_workload_keeps_the_half_it_understands() -> None:
    args = ["python", "--json-string", json.dumps({"ti": {"queue": "gpu"}, "bundle_info": ["x"]})]
    assert hook.parse_workload(args) == hook.Workload(queue="gpu", bundle=None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("gpu", "gpu"),
        ("team_a", "team_a"),
        ("team_", "team"),
        ("-x-", "x"),
        ("a b/c", "a-b-c"),
        ("x" * 70, "x" * 63),
        ("___", None),
        ("", None),
    ],
)
def test_safe_label_value(value: str, expected: str | None) -> None:
    assert hook.safe_label_value(value) == expected


def test_narrow_sync_args_keeps_everything_but_the_tenants() -> None:
    args = [*SYNC_ARGS, "--tenant=team_c=c"]
    narrowed = hook.narrow_sync_args(args, ["--tenant", "team_b=b", "--marker", "_PUBLISHED"])
    assert narrowed == [*SYNC_ARGS[:-4], "--tenant", "team_b=b", "--marker", "_PUBLISHED"]


def test_default_queue_known_tenant_syncs_that_tenant_only() -> None:
    pod = make_pod()
    loaded: list[str] = []
    assert run(pod, loaded) == hook.Workload(queue="default", bundle="team_a")
    assert loaded == []
    sync_args = pod.spec.init_containers[0].args
    assert sync_args.count("--tenant") == 1
    assert sync_args[-2:] == ["--tenant", "team_a=team_a"]
    assert pod.spec.containers[0].resources == {"requests": {"cpu": "500m"}}
    assert pod.metadata.labels == {"dag_id": "d", hook.QUEUE_LABEL: "default", hook.TENANT_LABEL: "team_a"}


def test_gpu_queue_merges_its_template_in_place() -> None:
    pod = make_pod(workload_args("gpu", "team_b"))
    loaded: list[str] = []
    run(pod, loaded)
    assert loaded == [QUEUES["gpu"]]
    assert pod.spec.containers[0].resources == {"limits": {"nvidia.com/gpu": 1}}
    assert pod.spec.tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert pod.spec.init_containers[0].args[-4:] == ["--tenant", "team_b=b", "--marker", "_PUBLISHED"]
    assert pod.metadata.name == "d-t-abc"
    assert pod.metadata.labels[hook.QUEUE_LABEL] == "gpu"
    assert pod.metadata.labels[hook.TENANT_LABEL] == "team_b"


def test_unknown_queue_and_bundle_leave_spec_alone() -> None:
    pod = make_pod(workload_args("cpu_heavy", "default"))
    before = copy.deepcopy(pod.spec)
    loaded: list[str] = []
    run(pod, loaded)
    assert loaded == []
    assert pod.spec == before
    assert pod.metadata.labels == {"dag_id": "d", hook.QUEUE_LABEL: "cpu_heavy"}


def test_pod_without_workload_is_untouched() -> None:
    pod = make_pod(["bash", "-c", "echo hi"])
    before = copy.deepcopy(pod)
    assert run(pod) is None
    assert pod == before


def test_pod_without_sync_container_still_gets_labels() -> None:
    """Mode s3_bundle: no init container, the labels are set anyway."""
    pod = make_pod()
    pod.spec.init_containers = None
    run(pod)
    assert pod.metadata.labels[hook.TENANT_LABEL] == "team_a"


def test_pod_without_labels_gets_a_label_dict() -> None:
    pod = make_pod()
    pod.metadata.labels = None
    run(pod)
    assert pod.metadata.labels == {hook.QUEUE_LABEL: "default", hook.TENANT_LABEL: "team_a"}
