"""Role airflow_webserver: the database behind the health, the Execution API, a restart on a change.

The unit, the version without login, authentication and the hidden configuration are checked in
test_control_plane.py with the other components."""

from __future__ import annotations

import base64
import json
import os
import shlex
from typing import Any

from conftest import ansible_playbook, api, deploy_dag, inventory_var, main_pid, run_dag, token


def test_monitor_health_reads_the_database(host: Any) -> None:
    status, body = api(host, "GET", "/api/v2/monitor/health")
    assert status == 200
    assert body["metadatabase"]["status"] == "healthy"


def test_execution_api_served(host: Any) -> None:
    status, _body = api(host, "GET", "/execution/health")
    assert status == 200


def jwt_kid(jwt: str) -> str:
    """The key id in a token's header."""
    header = jwt.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


PROBE = "rotation_probe"


def encrypted_with(host: Any, key: str) -> bool:
    """Whether the probe variable's value in the database decrypts with this Fernet key alone."""
    script = ("import os, sqlalchemy; from cryptography.fernet import Fernet; "
              "engine = sqlalchemy.create_engine(os.environ['AIRFLOW__DATABASE__SQL_ALCHEMY_CONN']); "
              f"query = sqlalchemy.text(\"select val from variable where key = '{PROBE}'\"); "
              "value = engine.connect().execute(query).scalar(); "
              f"print(Fernet('{key}').decrypt(value.encode()).decode())")
    result = host.run(f"set -a; for f in /etc/airflow/env.d/*.env; do . $f; done; "
                      f"/opt/airflow/bin/python -c {shlex.quote(script)}")
    return result.rc == 0 and result.stdout.strip() == "kept"


def rotate_fernet_key(host: Any) -> None:
    result = host.run("airflow rotate-fernet-key")
    assert result.rc == 0, result.stderr


def test_a_secret_rotation_keeps_every_token_and_value_readable_and_restarts_with_a_health_wait(host: Any) -> None:
    """docs/operations.md, rotating secrets, on a host whose tokens were signed and values encrypted with
    the old secrets: step 2 (sign and encrypt with the new ones, accept the old ones, rotate-fernet-key);
    then step 1's files (sign and encrypt with the old ones, accept the new ones), as a host not yet rolled
    has them, and rotate-fernet-key back; then the old secrets alone, which must refuse the new JWT
    secret's token. Each step is a configuration change: the api-server restarts, the play waits for its
    health."""
    old, new = inventory_var(host, "airflow_jwt_secret"), "rotated-" + "n" * 56
    fernet_old, fernet_new = inventory_var(host, "airflow_fernet_key"), base64.urlsafe_b64encode(os.urandom(32)).decode()
    before = token(host)
    assert api(host, "POST", "/api/v2/variables", before, {"key": PROBE, "value": "kept"})[0] in (200, 201)
    assert encrypted_with(host, fernet_old) and not encrypted_with(host, fernet_new)
    pid = main_pid(host, "airflow-api-server")
    step2 = ansible_playbook("molecule/resources/converge.yml", "-e", json.dumps({
        "airflow_jwt_secret": new, "airflow_jwt_accepted_secrets": [old],
        "airflow_fernet_key": fernet_new, "airflow_fernet_accepted_keys": [fernet_old]}))
    try:
        assert step2.returncode == 0, step2.stdout[-3000:]
        assert "Wait for the health of" in step2.stdout
        assert main_pid(host, "airflow-api-server") != pid
        after = token(host)
        assert jwt_kid(after) != jwt_kid(before)
        for jwt in (before, after):
            status, variable = api(host, "GET", f"/api/v2/variables/{PROBE}", jwt)
            assert (status, variable.get("value"), variable.get("is_encrypted")) == (200, "kept", True), variable
        rotate_fernet_key(host)
        assert encrypted_with(host, fernet_new) and not encrypted_with(host, fernet_old)
        # Tasks' Execution API tokens are signed with the new secret too.
        deploy_dag(host)
        assert run_dag(host, "molecule_smoke")["state"] == "success"
        step1 = ansible_playbook("molecule/resources/converge.yml", "-e", json.dumps({
            "airflow_jwt_accepted_secrets": [new], "airflow_fernet_accepted_keys": [fernet_new]}))
        assert step1.returncode == 0, step1.stdout[-3000:]
        assert api(host, "GET", f"/api/v2/variables/{PROBE}", after)[0] == 200
        rotate_fernet_key(host)
        assert encrypted_with(host, fernet_old)
    finally:
        restored = ansible_playbook("molecule/resources/converge.yml")
        assert restored.returncode == 0, restored.stdout[-3000:]
    assert api(host, "GET", "/api/v2/dags", after) == (403, {"detail": "Invalid JWT token"})
    assert api(host, "GET", f"/api/v2/variables/{PROBE}", before)[1]["value"] == "kept"
