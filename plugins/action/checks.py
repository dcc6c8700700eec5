# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Action of airflow_deploy.cluster.checks: many assertions in one task, on the controller.

Each check is evaluated as ansible.builtin.assert evaluates its ``that``; its message is templated
only when the check fails (a message may name variables that exist only in the failing case). The
task fails once, with the message of every check that failed, so a user fixes all bad inputs in
one go. One task instead of one per assertion: each task costs a worker process per host.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# Validated by Ansible (ActionBase.validate_argument_spec): unknown or missing keys are named there.
ARGUMENT_SPEC: dict[str, Any] = {
    "checks": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {"that": {"type": "raw", "required": True}, "msg": {"type": "str", "required": True},
                    "loop": {"type": "raw"}},
    },
}


def conditions(check: Mapping[str, Any]) -> list[Any]:
    """The conditionals of one check (``that`` is a string or a list of them)."""
    that = check.get("that")
    if isinstance(that, (str, bool)):
        return [that]
    if isinstance(that, list) and that and all(isinstance(item, (str, bool)) for item in that):
        return list(that)
    raise AnsibleActionFail(f"checks: 'that' must be a conditional or a non-empty list of them, got {that!r}")


def validate(checks: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """What the argument spec cannot say: at least one check, each with usable conditionals."""
    if not checks:
        raise AnsibleActionFail("checks: 'checks' must be a non-empty list of {that, msg} entries")
    for check in checks:
        conditions(check)
    return checks


def failures(
    checks: Sequence[Mapping[str, Any]],
    passes: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
    render: Callable[[Any, Mapping[str, Any]], str],
    items: Callable[[Any], list[Any]],
) -> list[str]:
    """The rendered message of every check (or loop item) that failed, in order.

    passes(check, local) evaluates the check's conditionals with the local variables (``item`` in
    a loop), render(msg, local) templates a message, items(expression) resolves a loop.
    """
    messages = []
    for check in checks:
        loop = [{}] if check.get("loop") is None else [{"item": item} for item in items(check["loop"])]
        for local in loop:
            if not passes(check, local):
                messages.append(render(check["msg"], local).strip())
    return messages


def summary(messages: Sequence[str]) -> str:
    """One message for the task: the single failure, or every failure numbered."""
    if len(messages) == 1:
        return messages[0]
    return f"{len(messages)} checks failed: " + " ".join(f"({n}) {m}" for n, m in enumerate(messages, 1))


class ActionModule(ActionBase):
    """Evaluate every check; fail once with the messages of those that failed."""

    _requires_connection = False
    _supports_check_mode = True

    @classmethod
    def finalize_task_arg(cls, name: str, value: Any, templar: Any, context: Any) -> Any:
        # Left as written: conditionals, loops and messages are evaluated check by check in run().
        if name == "checks":
            return value
        return super().finalize_task_arg(name, value, templar, context)

    def _templar_with(self, local: Mapping[str, Any]) -> Any:
        if not local:
            return self._templar
        return self._templar.copy_with_new_env(available_variables=ChainMap(dict(local), self._templar.available_variables))

    def _passes(self, check: Mapping[str, Any], local: Mapping[str, Any]) -> bool:
        templar = self._templar_with(local)
        return all(templar.evaluate_conditional(conditional=that) for that in conditions(check))

    def _render(self, msg: Any, local: Mapping[str, Any]) -> str:
        return str(self._templar_with(local).template(msg))

    def _items(self, expression: Any) -> list[Any]:
        items = self._templar.template(expression)
        if not isinstance(items, list):
            raise AnsibleActionFail(f"checks: 'loop' must give a list, got {items!r}")
        return items

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        checks = validate(args["checks"])
        messages = failures(checks, self._passes, self._render, self._items)
        result["changed"] = False
        if messages:
            result["failed"] = True
            result["failures"] = messages
            result["msg"] = summary(messages)
        else:
            result["msg"] = f"All {len(checks)} checks passed"
        return result
