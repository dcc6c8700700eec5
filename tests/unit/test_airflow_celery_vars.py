"""The CeleryExecutor as the airflow role derives it on the controller: the broker and the result
backend in the root-only environment file (never in airflow.cfg), and the preflight's checks of the
executor, the broker URL and the inputs of the worker and Flower roles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from role_vars import AIRFLOW_SECRETS, ROLES, preflight_check, render, role_task

BROKER = "redis://:unit-test-redis-secret@redis.example:6379/0"
EXPRESSION = "{{ {'env': __airflow_secret_env, 'cfg': __airflow_config, 'client': __airflow_celery_broker_client} }}"


def test_broker_and_result_backend_go_to_the_env_file_only(tmp_path: Path) -> None:
    rendered = render(tmp_path, "airflow", EXPRESSION, {
        "local": {},
        "celery": {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": BROKER},
        "own backend": {"airflow_executor": "LocalExecutor,CeleryExecutor", "airflow_celery_broker_url": BROKER,
                        "airflow_celery_result_backend": "db+postgresql://celery:pw@results/celery"},
    }, AIRFLOW_SECRETS)
    assert not [name for name in rendered["local"]["env"] if "CELERY" in name]
    assert rendered["celery"]["env"]["AIRFLOW__CELERY__BROKER_URL"] == BROKER
    # No result backend of its own: Airflow keeps task states in the metadata database.
    assert "AIRFLOW__CELERY__RESULT_BACKEND" not in rendered["celery"]["env"]
    assert rendered["own backend"]["env"]["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql://celery:pw@results/celery"
    assert rendered["own backend"]["cfg"]["core"]["executor"] == "LocalExecutor,CeleryExecutor"
    assert all("celery" not in case["cfg"] for case in rendered.values())


def test_the_hosts_that_talk_to_the_broker_are_schedulers_and_workers(tmp_path: Path) -> None:
    celery = {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": BROKER}
    rendered = render(tmp_path, "airflow", "{{ __airflow_celery_broker_client }}", {
        "single node": celery,
        # A host outside airflow_schedulers and airflow_workers (the api-server of a cluster).
        "neither scheduler nor worker": celery | {"__airflow_hosts_with_scheduler": ["airflow1"]},
        "not celery": {},
    }, AIRFLOW_SECRETS)
    assert rendered == {"single node": True, "neither scheduler nor worker": False, "not celery": False}


def test_the_preflight_names_an_unknown_executor_and_a_missing_or_bad_broker(tmp_path: Path) -> None:
    executor, broker = preflight_check("executor"), preflight_check("Celery broker")
    unsupported = {"__airflow_unsupported_executors": role_task("airflow", "preflight.yml", "Check the inputs")["vars"]
                   ["__airflow_unsupported_executors"]}
    cases: dict[str, dict[str, Any]] = {
        "local": {},
        "celery": {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": BROKER},
        "sentinel": {"airflow_executor": "CeleryExecutor",
                     "airflow_celery_broker_url": "sentinel://:pw@s1:26379/0;sentinel://:pw@s2:26379/0"},
        "tls": {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": "rediss://:pw@redis.example:6380/0"},
        "no broker": {"airflow_executor": "CeleryExecutor"},
        "rabbitmq": {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": "amqp://guest:pw@rabbit//"},
        "no host": {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": "redis:///0"},
        "quote": {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": "redis://:it's@redis.example/0"},
        "unknown": {"airflow_executor": "LocalExecutor,DaskExecutor"},
    }
    for directory in ("executor", "broker", "msg"):
        (tmp_path / directory).mkdir()
    executor_ok = render(tmp_path / "executor", "airflow", executor["ok"],
                         {name: case | unsupported for name, case in cases.items()}, AIRFLOW_SECRETS)
    broker_ok = render(tmp_path / "broker", "airflow", broker["ok"], cases, AIRFLOW_SECRETS)
    assert [name for name, ok in executor_ok.items() if not ok] == ["unknown"]
    assert [name for name, ok in broker_ok.items() if not ok] == ["no broker", "rabbitmq", "no host", "quote"]
    msg = render(tmp_path / "msg", "airflow", executor["msg"], {"unknown": cases["unknown"] | unsupported}, AIRFLOW_SECRETS)
    assert "names DaskExecutor, which this collection does not configure" in msg["unknown"]


def failed_checks(tmp_path: Path, role: str, cases: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The items of a role's "Check the inputs" task (its first preflight task) that fail, per case: every
    item's ok expression rendered in one run, with the task's own vars."""
    task = yaml.safe_load((ROLES / role / "tasks" / "preflight.yml").read_text())[0]
    expression = "{{ [" + ", ".join(f"({check['ok'].strip().removeprefix('{{').removesuffix('}}')}, {check['check']!r})"
                                    for check in task["loop"]) + "] }}"
    rendered = render(tmp_path, role, expression, {name: case | task.get("vars", {}) for name, case in cases.items()})
    return {name: [check for ok, check in result if not ok] for name, result in rendered.items()}


def test_the_worker_preflight_accepts_good_inputs_and_names_each_bad_one(tmp_path: Path) -> None:
    good = {"airflow_executor": "CeleryExecutor", "airflow_base_url": "http://airflow-lb",
            "group_names": ["airflow", "airflow_workers"]}
    cases: dict[str, dict[str, Any]] = {
        "good": good,
        "autoscale": good | {"airflow_celery_worker_autoscale": "16,2", "airflow_celery_worker_queues": ["high_cpu", "default"]},
        "hybrid": good | {"airflow_executor": "LocalExecutor, CeleryExecutor"},
        "not celery": good | {"airflow_executor": "LocalExecutor"},
        "no queue": good | {"airflow_celery_worker_queues": []},
        "comma in a queue": good | {"airflow_celery_worker_queues": ["a,b"]},
        "zero concurrency": good | {"airflow_celery_worker_concurrency": 0},
        "autoscale upside down": good | {"airflow_celery_worker_autoscale": "2,16"},
        "autoscale one number": good | {"airflow_celery_worker_autoscale": "16"},
        "no stop timeout": good | {"airflow_celery_worker_stop_timeout_sec": 0},
        "base url is itself": good | {"airflow_base_url": "http://localhost:8080"},
        # The lab: users browse localhost, workers call the LB's Execution API.
        "execution api of its own": good | {"airflow_base_url": "http://localhost:8080",
                                            "airflow_config": {"core": {"execution_api_server_url": "http://lb/execution/"}}},
    }
    assert failed_checks(tmp_path, "airflow_celery_worker", cases) == {
        "good": [], "autoscale": [], "hybrid": [], "not celery": ["executor"], "no queue": ["queues"],
        "comma in a queue": ["queues"], "zero concurrency": ["pool size"], "autoscale upside down": ["pool size"],
        "autoscale one number": ["pool size"], "no stop timeout": ["stop timeout"], "base url is itself": ["Execution API"],
        "execution api of its own": []}


def test_the_flower_preflight_accepts_good_inputs_and_names_each_bad_one(tmp_path: Path) -> None:
    good = {"airflow_executor": "CeleryExecutor", "airflow_flower_basic_auth_password": "unit-test-flower-password"}
    cases: dict[str, dict[str, Any]] = {
        "good": good,
        "on the network behind a prefix": good | {"airflow_flower_address": "0.0.0.0", "airflow_flower_url_prefix": "flower"},
        "not celery": good | {"airflow_executor": "LocalExecutor"},
        "short password": good | {"airflow_flower_basic_auth_password": "too-short"},
        "comma in the password": good | {"airflow_flower_basic_auth_password": "unit-test,flower-password"},
        "colon in the user": good | {"airflow_flower_basic_auth_user": "ad:min"},
        "port out of range": good | {"airflow_flower_port": 70000},
        "address with a space": good | {"airflow_flower_address": "0.0.0.0 1"},
    }
    for directory in ("checks", "loopback"):
        (tmp_path / directory).mkdir()
    assert failed_checks(tmp_path / "checks", "airflow_flower", cases) == {
        "good": [], "on the network behind a prefix": [], "not celery": ["executor"], "short password": ["login"],
        "comma in the password": ["login"], "colon in the user": ["login"], "port out of range": ["address"],
        "address with a space": ["address"]}
    loopback = render(tmp_path / "loopback", "airflow_flower", "{{ __airflow_flower_loopback }}",
                      {"default": good, "every interface": good | {"airflow_flower_address": "0.0.0.0"}})
    assert loopback == {"default": True, "every interface": False}


def test_a_broker_ca_file_turns_on_one_way_tls_for_every_celery_client(tmp_path: Path) -> None:
    tls = {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0",
           "airflow_celery_broker_ca_file": "/controller/redis-ca.crt"}
    rendered = render(tmp_path, "airflow", "{{ __airflow_config['celery'] | default({}) }}", {
        "ca file": tls,
        "system CAs": tls | {"airflow_celery_broker_ca_file": ""},
        "not celery": tls | {"airflow_executor": "LocalExecutor"},
        # airflow_config comes last: a client certificate for mutual TLS.
        "mutual": tls | {"airflow_config": {"celery": {"ssl_mutual_tls": True, "ssl_key": "/k", "ssl_cert": "/c"}}},
    }, AIRFLOW_SECRETS)
    ca = "/etc/airflow/tls/celery-broker-ca.crt"
    assert rendered["ca file"] == {"ssl_active": True, "ssl_cacert": ca, "ssl_mutual_tls": False}
    assert rendered["system CAs"] == {} and rendered["not celery"] == {}
    assert rendered["mutual"] == {"ssl_active": True, "ssl_cacert": ca, "ssl_mutual_tls": True, "ssl_key": "/k", "ssl_cert": "/c"}


def test_the_preflight_names_a_broker_ca_file_that_cannot_be_used(tmp_path: Path) -> None:
    check = preflight_check("Celery broker TLS")
    ca = tmp_path / "redis-ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    overlap = {"__airflow_celery_tls_overlap": role_task("airflow", "preflight.yml", "Check the inputs")["vars"]
               ["__airflow_celery_tls_overlap"]}
    tls = {"airflow_executor": "CeleryExecutor", "airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0",
           "airflow_celery_broker_ca_file": str(ca)} | overlap
    cases: dict[str, dict[str, Any]] = {
        "tls": tls,
        "sentinel": tls | {"airflow_celery_broker_url": "sentinel://:pw@s1:26379/0"},
        "no ca file": tls | {"airflow_celery_broker_ca_file": ""},
        "plain url": tls | {"airflow_celery_broker_url": "redis://:pw@redis.example:6379/0"},
        # Celery takes ssl_* query parameters in place of [celery] ssl_cacert.
        "ssl query": tls | {"airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0?ssl_cert_reqs=required"},
        "missing file": tls | {"airflow_celery_broker_ca_file": str(tmp_path / "nowhere.crt")},
        "set twice": tls | {"airflow_config": {"celery": {"ssl_cacert": "/etc/ssl/other.crt"}}},
    }
    for directory in ("ok", "msg"):
        (tmp_path / directory).mkdir()
    ok = render(tmp_path / "ok", "airflow", check["ok"], cases, AIRFLOW_SECRETS)
    assert [name for name, passed in ok.items() if not passed] == ["plain url", "ssl query", "missing file", "set twice"]
    msg = render(tmp_path / "msg", "airflow", check["msg"], {"set twice": cases["set twice"]}, AIRFLOW_SECRETS)
    assert f"airflow_celery_broker_ca_file '{ca}' must be an existing PEM file on the controller" in msg["set twice"]
    assert "(it sets celery.ssl_cacert)" in msg["set twice"] and "pw@" not in msg["set twice"]


def test_the_preflight_refuses_a_tls_broker_whose_certificate_nobody_checks(tmp_path: Path) -> None:
    check = preflight_check("Celery broker certificate")
    celery = {"airflow_executor": "CeleryExecutor"}
    cases: dict[str, dict[str, Any]] = {
        "plain": celery | {"airflow_celery_broker_url": BROKER},
        "system CAs": celery | {"airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0?ssl_cert_reqs=required"},
        "on purpose": celery | {"airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0?db=0&ssl_cert_reqs=none"},
        "private CA": celery | {"airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0",
                                "airflow_celery_broker_ca_file": "/controller/redis-ca.crt"},
        "unchecked": celery | {"airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0"},
        "not celery": {"airflow_celery_broker_url": "rediss://:pw@redis.example:6379/0"},
    }
    ok = render(tmp_path, "airflow", check["ok"], cases, AIRFLOW_SECRETS)
    assert [name for name, passed in ok.items() if not passed] == ["unchecked"]
