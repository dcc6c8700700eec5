"""Task logs in S3 as the airflow role derives them on the controller: the [logging] settings of
airflow.cfg and the connection in the root-only environment file, on and off."""

from __future__ import annotations

import json
from pathlib import Path

from role_vars import render

SECRETS = {"airflow_fernet_key": "unit-test-fernet", "airflow_api_secret_key": "unit-test-api",
           "airflow_jwt_secret": "unit-test-jwt"}
EXPRESSION = "{{ {'logging': __airflow_config['logging'], 'env': __airflow_secret_env} }}"


def test_off_by_default_no_setting_and_no_connection(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {"default": {}}, SECRETS)["default"]
    assert "remote_logging" not in rendered["logging"]
    assert not [name for name in rendered["env"] if name.startswith("AIRFLOW_CONN_")]


def test_on_the_settings_go_to_airflow_cfg_and_the_connection_to_the_env_file(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {
        "keys": {"airflow_remote_log_folder": "s3://acme-logs/prod", "airflow_remote_log_endpoint_url": "http://s3:9000",
                 "airflow_remote_log_region": "eu-west-1", "airflow_remote_log_aws_access_key_id": "AKIAEXAMPLE",
                 "airflow_remote_log_aws_secret_access_key": "unit-test-log-secret"},
        "instance profile": {"airflow_remote_log_folder": "s3://acme-logs/prod", "airflow_remote_log_conn_id": "logs"},
    }, SECRETS)
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
    }, SECRETS)["both"]
    assert rendered["logging"]["delete_local_logs"] is True
    assert rendered["logging"]["remote_base_log_folder"] == "s3://acme-logs/prod"
