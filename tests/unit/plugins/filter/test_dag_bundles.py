"""The dag_bundles filter: one bundle per tenant, in both modes."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.dag_bundles import FilterModule, dag_bundles

TENANTS = [{"name": "team_a"}, {"name": "team_b", "prefix": "b/", "team": "bravo"}]


def test_engine_mode_points_at_current_snapshots() -> None:
    bundles = dag_bundles(TENANTS, "engine", root="/var/lib/airflow/dags/", refresh_interval=5)
    assert bundles == [
        {"name": "team_a", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
         "kwargs": {"path": "/var/lib/airflow/dags/team_a/current", "refresh_interval": 5}},
        {"name": "team_b", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
         "kwargs": {"path": "/var/lib/airflow/dags/team_b/current", "refresh_interval": 5}, "team_name": "bravo"},
    ]


def test_s3_bundle_mode_joins_prefixes() -> None:
    bundles = dag_bundles(TENANTS, "s3_bundle", bucket="dags", prefix="/airflow/", conn_id="aws_dags",
                          refresh_interval=30)
    assert bundles[0]["classpath"] == "airflow.providers.amazon.aws.bundles.s3.S3DagBundle"
    assert bundles[0]["kwargs"] == {"bucket_name": "dags", "prefix": "airflow/team_a", "aws_conn_id": "aws_dags",
                                    "refresh_interval": 30}
    assert bundles[1]["kwargs"]["prefix"] == "airflow/b"


def test_same_input_same_output() -> None:
    assert dag_bundles(TENANTS, "engine", root="/d") == dag_bundles(list(TENANTS), "engine", root="/d")


@pytest.mark.parametrize(("tenants", "mode"), [(TENANTS, "git"), ("team_a", "engine")])
def test_bad_input(tenants: object, mode: str) -> None:
    with pytest.raises(AnsibleFilterError):
        dag_bundles(tenants, mode, root="/d")  # type: ignore[arg-type]


def test_registered() -> None:
    assert FilterModule().filters()["dag_bundles"] is dag_bundles
