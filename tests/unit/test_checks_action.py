"""The airflow_deploy.cluster.checks action: many assertions in one task, each message templated
only when its check fails, every failure reported at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleActionFail
from ansible_collections.airflow_deploy.cluster.plugins.action.checks import failures, summary, validate
from role_vars import run_playbook


@pytest.mark.parametrize(
    ("checks", "error"),
    [
        ([], "non-empty list"),
        ([{"that": [], "msg": "m"}], "'that' must be a conditional or a non-empty list"),
        ([{"that": {"a": 1}, "msg": "m"}], "'that' must be a conditional or a non-empty list"),
    ],
)
def test_checks_without_usable_conditionals_are_named(checks: Any, error: str) -> None:
    with pytest.raises(AnsibleActionFail) as exc:
        validate(checks)
    assert error in str(exc.value)


def test_failures_render_only_failing_checks_and_loop_items() -> None:
    checks = [
        {"that": "ok", "msg": "never rendered"},
        {"that": ["bad"], "msg": "first"},
        {"that": "item_ok", "msg": "item", "loop": "the list"},
    ]
    rendered: list[tuple[str, dict[str, Any]]] = []

    def passes(check: dict[str, Any], local: dict[str, Any]) -> bool:
        return check["msg"] == "never rendered" or local.get("item") == 2

    def render(msg: str, local: dict[str, Any]) -> str:
        rendered.append((msg, dict(local)))
        return f" {msg} {local.get('item', '')} ".strip() + "\n"

    assert failures(checks, passes, render, lambda expression: [1, 2, 3]) == ["first", "item 1", "item 3"]
    assert [msg for msg, _ in rendered] == ["first", "item", "item"]


def test_summary_is_the_single_message_or_every_message_numbered() -> None:
    assert summary(["port is 0"]) == "port is 0"
    assert summary(["a", "b"]) == "2 checks failed: (1) a (2) b"


def write_play(tmp_path: Path, tasks: list[dict[str, Any]], play_vars: dict[str, Any]) -> Path:
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump([{"name": "Checks", "hosts": "localhost", "connection": "local",
                                     "gather_facts": False, "vars": play_vars, "tasks": tasks}], sort_keys=False))
    return path


def test_a_play_reports_every_failed_check_with_its_own_message(tmp_path: Path) -> None:
    checks = [
        {"that": "port | int in range(1, 65536)", "msg": "port is {{ port }}: use 1-65535."},
        # Passes, so its message (an undefined variable) is never templated.
        {"that": "name | length > 0", "msg": "{{ not_defined_anywhere }}"},
        {"that": ["item.value is match('^/')"], "msg": "{{ item.key }} is '{{ item.value }}': use an absolute path.",
         "loop": "{{ paths | dict2items }}"},
    ]
    play = write_play(tmp_path, [{"name": "Check the inputs", "airflow_deploy.cluster.checks": {"checks": checks}}],
                      {"port": 70000, "name": "x", "paths": {"home": "/var/lib/x", "logs": "logs"}})
    result = run_playbook(play, succeed=False)["Check the inputs"]
    assert result["failed"] is True
    assert result["failures"] == ["port is 70000: use 1-65535.", "logs is 'logs': use an absolute path."]
    assert result["msg"] == "2 checks failed: (1) port is 70000: use 1-65535. (2) logs is 'logs': use an absolute path."


def test_a_play_passes_when_every_check_holds(tmp_path: Path) -> None:
    checks = [{"that": "port | int in range(1, 65536)", "msg": "bad port"},
              {"that": "item > 0", "msg": "bad {{ item }}", "loop": "{{ [1, 2] }}"}]
    play = write_play(tmp_path, [{"name": "Check the inputs", "airflow_deploy.cluster.checks": {"checks": checks}}],
                      {"port": 8080})
    result = run_playbook(play)["Check the inputs"]
    assert result["changed"] is False
    assert result["msg"] == "All 2 checks passed"
    assert "failures" not in result


@pytest.mark.parametrize(
    ("check", "error"),
    [
        ({"that": "port > 0"}, "missing required arguments: msg"),
        ({"that": "port > 0", "msg": "bad port", "when": "port is defined"}, "when"),
    ],
)
def test_a_malformed_check_is_named_by_the_argument_spec(tmp_path: Path, check: dict[str, Any], error: str) -> None:
    play = write_play(tmp_path, [{"name": "Check the inputs", "airflow_deploy.cluster.checks": {"checks": [check]}}],
                      {"port": 8080})
    result = run_playbook(play, succeed=False)["Check the inputs"]
    assert error in result["msg"], result["msg"]
