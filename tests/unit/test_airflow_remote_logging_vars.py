"""Task logs in S3 as the airflow role derives them on the controller: the [logging] settings of
airflow.cfg and the connection in the root-only environment file, on and off."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from role_vars import AIRFLOW_SECRETS, preflight_check, render

EXPRESSION = "{{ {'logging': __airflow_config['logging'], 'env': __airflow_secret_env} }}"


def test_off_by_default_no_setting_and_no_connection(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {"default": {}}, AIRFLOW_SECRETS)["default"]
    assert "remote_logging" not in rendered["logging"]
    assert not [name for name in rendered["env"] if name.startswith("AIRFLOW_CONN_")]


def test_on_the_settings_go_to_airflow_cfg_and_the_connection_to_the_env_file(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {
        "keys": {"airflow_remote_log_folder": "s3://acme-logs/prod", "airflow_remote_log_endpoint_url": "http://s3:9000",
                 "airflow_remote_log_region": "eu-west-1", "airflow_remote_log_aws_access_key_id": "AKIAEXAMPLE",
                 "airflow_remote_log_aws_secret_access_key": "unit-test-log-secret"},
        "instance profile": {"airflow_remote_log_folder": "s3://acme-logs/prod", "airflow_remote_log_conn_id": "logs"},
    }, AIRFLOW_SECRETS)
    keys = rendered["keys"]
    assert {"remote_logging": True, "remote_base_log_folder": "s3://acme-logs/prod",
            "remote_log_conn_id": "aws_task_logs"}.items() <= keys["logging"].items()
    assert json.loads(keys["env"]["AIRFLOW_CONN_AWS_TASK_LOGS"]) == {
        "conn_type": "aws", "extra": {"endpoint_url": "http://s3:9000", "region_name": "eu-west-1"},
        "login": "AKIAEXAMPLE", "password": "unit-test-log-secret"}
    # No keys: the connection holds none, boto3 uses the credential chain (instance profile).
    assert json.loads(rendered["instance profile"]["env"]["AIRFLOW_CONN_LOGS"]) == {"conn_type": "aws", "extra": {}}
    assert rendered["instance profile"]["logging"]["remote_log_conn_id"] == "logs"


def test_airflow_config_keeps_its_own_logging_options(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {
        "both": {"airflow_remote_log_folder": "s3://acme-logs/prod",
                 "airflow_config": {"logging": {"delete_local_logs": True}}},
    }, AIRFLOW_SECRETS)["both"]
    assert rendered["logging"]["delete_local_logs"] is True
    assert rendered["logging"]["remote_base_log_folder"] == "s3://acme-logs/prod"


GOOD: dict[str, Any] = {
    "airflow_remote_log_folder": "s3://airflow-logs/lab", "airflow_remote_log_endpoint_url": "http://airflow-s3:9000",
    "airflow_remote_log_region": "us-east-1", "airflow_remote_log_aws_access_key_id": "lab",
    "airflow_remote_log_aws_secret_access_key": "unit-test-log-secret",
    "airflow_config": {"core": {"execution_api_server_url": "http://airflow-lb/execution/"}}}


def test_the_preflight_accepts_good_inputs_and_names_each_bad_one(tmp_path: Path) -> None:
    check = preflight_check("task logs in S3")
    overlap = {"__airflow_remote_log_overlap": "{{ airflow_config | airflow_deploy.cluster.config_option_names"
                                               " | intersect(__airflow_owned_options) if __airflow_remote_logging else [] }}"}
    cases: dict[str, dict[str, Any]] = {
        "off": {"airflow_remote_log_folder": ""},
        "lab": GOOD,
        "aws, instance profile": {"airflow_remote_log_folder": "s3://acme-logs/prod/eu", "airflow_remote_log_region": "eu-west-1"},
        "no prefix": GOOD | {"airflow_remote_log_folder": "s3://airflow-logs"},
        "not s3": GOOD | {"airflow_remote_log_folder": "gs://airflow-logs/lab"},
        "half a key pair": GOOD | {"airflow_remote_log_aws_secret_access_key": ""},
        "endpoint without scheme": GOOD | {"airflow_remote_log_endpoint_url": "airflow-s3:9000"},
        "conn id": GOOD | {"airflow_remote_log_conn_id": "task-logs"},
        "quote in the region": GOOD | {"airflow_remote_log_region": "us-east-1'"},
        "airflow_config too": GOOD | {"airflow_config": {"logging": {"remote_base_log_folder": "s3://x/y"}}},
    }
    case_vars = {name: variables | overlap for name, variables in cases.items()}
    (tmp_path / "ok").mkdir()
    (tmp_path / "msg").mkdir()
    ok = render(tmp_path / "ok", "airflow", check["ok"], case_vars, AIRFLOW_SECRETS)
    msg = render(tmp_path / "msg", "airflow", check["msg"], case_vars, AIRFLOW_SECRETS)
    assert ok == {
        "off": True, "lab": True, "aws, instance profile": True, "no prefix": False, "not s3": False,
        "half a key pair": False, "endpoint without scheme": False, "conn id": False, "quote in the region": False,
        "airflow_config too": False}
    assert "airflow_remote_log_folder 's3://airflow-logs' must be s3://bucket/prefix" in msg["no prefix"]
    assert "airflow_config also sets logging.remote_base_log_folder" in msg["airflow_config too"]
    assert "unit-test-log-secret" not in str(msg)


def test_the_kubernetes_executor_needs_task_logs_in_s3(tmp_path: Path) -> None:
    check = preflight_check("task logs in S3 with the KubernetesExecutor")
    cases: dict[str, dict[str, Any]] = {
        "local": {"airflow_executor": "LocalExecutor", "airflow_remote_log_folder": ""},
        "kubernetes with logs": {"airflow_executor": "LocalExecutor, KubernetesExecutor"} | GOOD,
        "kubernetes without": {"airflow_executor": "LocalExecutor, KubernetesExecutor", "airflow_remote_log_folder": ""},
    }
    ok = render(tmp_path, "airflow", check["ok"], cases, AIRFLOW_SECRETS)
    assert ok == {"local": True, "kubernetes with logs": True, "kubernetes without": False}
