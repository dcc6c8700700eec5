"""Unit tests of the secret_rotation filter (the plan of playbooks/rotate_secrets.yml)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter import secret_rotation as rotation_module
from ansible_collections.airflow_deploy.cluster.plugins.filter.secret_rotation import secret_rotation

CURRENT = {"airflow_jwt_secret": "jwt-old", "airflow_fernet_key": "fernet-old", "airflow_api_secret_key": "api",
           "airflow_metadata_db_password": "db"}


def test_three_steps_accept_then_switch_then_drop_the_old_fernet_key() -> None:
    plan = secret_rotation(CURRENT | {"airflow_jwt_accepted_secrets": ["jwt-older"]}, "jwt-new", "fernet-new")
    assert plan["problem"] == ""
    step1, step2, step3 = plan["steps"]
    kept = {"airflow_api_secret_key": "api", "airflow_metadata_db_password": "db"}
    assert step1 == kept | {"airflow_jwt_secret": "jwt-old", "airflow_jwt_accepted_secrets": ["jwt-new"],
                            "airflow_fernet_key": "fernet-old", "airflow_fernet_accepted_keys": ["fernet-new"]}
    assert step2 == kept | {"airflow_jwt_secret": "jwt-new", "airflow_jwt_accepted_secrets": ["jwt-old"],
                            "airflow_fernet_key": "fernet-new", "airflow_fernet_accepted_keys": ["fernet-old"]}
    assert step3 == step2 | {"airflow_fernet_accepted_keys": []}


def test_each_step_accepts_what_the_hosts_of_the_step_before_sign_with() -> None:
    """While a step rolls, hosts of the previous step and of this one serve side by side."""
    previous = CURRENT
    for step in secret_rotation(CURRENT, "jwt-new", "fernet-new")["steps"]:
        accepted = {step["airflow_jwt_secret"], *step["airflow_jwt_accepted_secrets"]}
        before = {previous["airflow_jwt_secret"], *previous.get("airflow_jwt_accepted_secrets", [])}
        assert step["airflow_jwt_secret"] in before and previous["airflow_jwt_secret"] in accepted
        previous = step


@pytest.mark.parametrize(("current", "new_jwt", "message"), [
    ({"airflow_fernet_key": "f"}, "jwt-new", "it holds no airflow_jwt_secret;"),
    ({}, "jwt-new", "it holds no airflow_jwt_secret and no airflow_fernet_key"),
    (CURRENT | {"airflow_fernet_accepted_keys": ["fernet-old2"]}, "jwt-new",
     "airflow_fernet_accepted_keys is set, so a Fernet key change is under way"),
    (CURRENT, "jwt-old", "a new secret equals a current one"),
])
def test_a_rotation_that_may_not_start_names_why(current: dict[str, Any], new_jwt: str, message: str) -> None:
    plan = secret_rotation(current, new_jwt, "fernet-new")
    assert message in plan["problem"] and plan["steps"] == []


@pytest.mark.parametrize(("current", "new_jwt", "new_fernet"), [("text", "j", "f"), (CURRENT, "", "f"), (CURRENT, "j", None)])
def test_bad_arguments_are_refused(current: Any, new_jwt: Any, new_fernet: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="secret_rotation"):
        secret_rotation(current, new_jwt, new_fernet)


def test_the_filter_is_registered_under_its_file_name() -> None:
    assert rotation_module.FilterModule().filters() == {"secret_rotation": secret_rotation}
