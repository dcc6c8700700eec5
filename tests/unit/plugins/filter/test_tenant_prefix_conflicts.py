"""The tenant_prefix_conflicts filter: empty, identical and nested tenant prefixes are named."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.tenant_prefix_conflicts import (
    FilterModule,
    full_prefix,
    tenant_prefix_conflicts,
)


def test_own_prefixes_do_not_conflict() -> None:
    tenants = [{"name": "team_a"}, {"name": "team_ab"}, {"name": "team_b", "prefix": "b/dags"}]
    assert tenant_prefix_conflicts(tenants, "dags") == []


def test_a_nested_prefix_names_both_tenants() -> None:
    tenants = [{"name": "team_a"}, {"name": "team_a_ml", "prefix": "team_a/ml"}]
    assert tenant_prefix_conflicts(tenants, "dags") == [
        "team_a ('dags/team_a/') and team_a_ml ('dags/team_a/ml/') have nested prefixes"]


def test_identical_prefixes_name_both_tenants() -> None:
    tenants = [{"name": "team_a"}, {"name": "team_b", "prefix": "/team_a/"}]
    assert tenant_prefix_conflicts(tenants, "dags/") == ["team_a and team_b share the prefix 'dags/team_a/'"]


def test_an_empty_prefix_owns_every_tenant() -> None:
    tenants = [{"name": "team_a"}, {"name": "all", "prefix": ""}]
    assert tenant_prefix_conflicts(tenants, "dags") == [
        "all has an empty prefix, so it would own every tenant's keys under 'dags/'",
        "team_a ('dags/team_a/') and all ('dags/') have nested prefixes",
    ]


def test_the_bucket_root_as_base() -> None:
    assert full_prefix({"name": "team_a"}, "") == "team_a/"
    assert full_prefix({"name": "x", "prefix": "/"}, "") == ""
    assert tenant_prefix_conflicts([{"name": "team_a"}, {"name": "team_b"}]) == []


def test_a_string_is_refused() -> None:
    with pytest.raises(AnsibleFilterError):
        tenant_prefix_conflicts("team_a")  # type: ignore[arg-type]


def test_the_filter_is_registered() -> None:
    assert FilterModule().filters()["tenant_prefix_conflicts"] is tenant_prefix_conflicts
