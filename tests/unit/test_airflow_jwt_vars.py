"""The JWT key set as the airflow role derives it on the controller: [api_auth] trusted_jwks_url in
airflow.cfg, the key id of the signing secret in the root-only environment file, the accepted
secrets in the key set, and the preflight's check of those secrets."""

from __future__ import annotations

import json
from pathlib import Path

from role_vars import AIRFLOW_SECRETS, preflight_check, render

OLD, NEW = "o" * 40, "n" * 40
EXPRESSION = ("{{ {'api_auth': __airflow_config['api_auth'], 'kid': __airflow_secret_env['AIRFLOW__API_AUTH__JWT_KID'],"
              " 'jwks': __airflow_jwks, 'compared': __airflow_secret_env_names} }}")


def test_every_host_trusts_the_key_set_and_signs_with_the_kid_of_the_current_secret(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {
        "steady": {},
        "step 1": {"airflow_jwt_accepted_secrets": [NEW]},
        "step 2": {"airflow_jwt_secret": NEW, "airflow_jwt_accepted_secrets": [OLD]},
    }, AIRFLOW_SECRETS | {"airflow_jwt_secret": OLD})
    for case in rendered.values():
        assert case["api_auth"] == {"trusted_jwks_url": "/etc/airflow/jwks.json"}
        assert case["kid"] == case["jwks"]["keys"][0]["kid"]
    kids = {name: [key["kid"] for key in case["jwks"]["keys"]] for name, case in rendered.items()}
    old_kid, new_kid = kids["steady"][0], kids["step 2"][0]
    assert kids == {"steady": [old_kid, "not-used"], "step 1": [old_kid, new_kid, "not-used"],
                    "step 2": [new_kid, old_kid, "not-used"]}
    # While other secrets are accepted, the hosts may sign with different ones: their deployed JWT
    # secrets are not compared (they are in the steady state).
    assert "AIRFLOW__API_AUTH__JWT_SECRET" in rendered["steady"]["compared"]
    assert "AIRFLOW__API_AUTH__JWT_SECRET" not in rendered["step 1"]["compared"]
    assert json.dumps(rendered["step 1"]["api_auth"]).find(NEW) == -1


def test_the_preflight_refuses_short_or_repeated_accepted_secrets(tmp_path: Path) -> None:
    check = preflight_check("accepted JWT secrets")
    ok = render(tmp_path, "airflow", check["ok"], {
        "none": {},
        "one": {"airflow_jwt_accepted_secrets": [NEW]},
        "short": {"airflow_jwt_accepted_secrets": ["short"]},
        "quote": {"airflow_jwt_accepted_secrets": ["'" + "x" * 40]},
        "the current one": {"airflow_jwt_accepted_secrets": [OLD]},
    }, AIRFLOW_SECRETS | {"airflow_jwt_secret": OLD})
    assert ok == {"none": True, "one": True, "short": False, "quote": False, "the current one": False}
    (tmp_path / "msg").mkdir()
    msg = render(tmp_path / "msg", "airflow", check["msg"], {"short": {"airflow_jwt_accepted_secrets": ["short"]}},
                 AIRFLOW_SECRETS)["short"]
    assert "airflow_jwt_accepted_secrets (1 values, not shown)" in msg and "short" not in msg


FERNET_OLD, FERNET_NEW = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="


def test_accepted_fernet_keys_follow_the_encrypting_one_in_the_environment_file(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", "{{ [__airflow_secret_env['AIRFLOW__CORE__FERNET_KEY'], __airflow_secret_env_names] }}", {
        "steady": {},
        "step 2": {"airflow_fernet_key": FERNET_NEW, "airflow_fernet_accepted_keys": [FERNET_OLD]},
    }, AIRFLOW_SECRETS | {"airflow_fernet_key": FERNET_OLD})
    assert rendered["steady"][0] == FERNET_OLD
    assert rendered["step 2"][0] == f"{FERNET_NEW},{FERNET_OLD}"
    assert "AIRFLOW__CORE__FERNET_KEY" in rendered["steady"][1]
    assert "AIRFLOW__CORE__FERNET_KEY" not in rendered["step 2"][1]


def test_the_preflight_refuses_an_accepted_fernet_key_that_is_not_one(tmp_path: Path) -> None:
    ok = render(tmp_path, "airflow", preflight_check("accepted Fernet keys")["ok"], {
        "none": {},
        "one": {"airflow_fernet_accepted_keys": [FERNET_NEW]},
        "not a key": {"airflow_fernet_accepted_keys": ["not-a-fernet-key"]},
        "the current one": {"airflow_fernet_accepted_keys": [FERNET_OLD]},
    }, AIRFLOW_SECRETS | {"airflow_fernet_key": FERNET_OLD})
    assert ok == {"none": True, "one": True, "not a key": False, "the current one": False}
