"""Unit tests of the aws_connection filter (task-log and DAG-bundle connections)."""

from __future__ import annotations

from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.airflow_deploy.cluster.plugins.filter.aws_connection import FilterModule, aws_connection


def test_endpoint_and_region_go_to_extra_without_keys() -> None:
    assert aws_connection("http://s3.example:9000", "eu-west-1") == {
        "conn_type": "aws", "extra": {"endpoint_url": "http://s3.example:9000", "region_name": "eu-west-1"}}


def test_aws_without_endpoint_region_or_keys_is_an_empty_extra() -> None:
    assert aws_connection("") == {"conn_type": "aws", "extra": {}}


def test_keys_are_login_and_password_when_both_are_given() -> None:
    connection = aws_connection("", "", "AKIAEXAMPLE", "secret")
    assert connection == {"conn_type": "aws", "extra": {}, "login": "AKIAEXAMPLE", "password": "secret"}


@pytest.mark.parametrize(("access_key", "secret_key"), [("AKIAEXAMPLE", ""), ("", "secret")])
def test_half_a_key_pair_gives_no_keys(access_key: str, secret_key: str) -> None:
    assert "login" not in aws_connection("", "", access_key, secret_key)
    assert "password" not in aws_connection("", "", access_key, secret_key)


@pytest.mark.parametrize("args", [(None,), ("", 3), ("", "", ["k"], "s")])
def test_refuses_values_that_are_not_strings(args: tuple[Any, ...]) -> None:
    with pytest.raises(AnsibleFilterError, match="must be strings"):
        aws_connection(*args)


def test_registered_under_its_file_name() -> None:
    assert FilterModule().filters() == {"aws_connection": aws_connection}
