# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: memory_plan
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Whether the memory a host's Airflow components and task slots may use fits in the host
description:
  - Adds up what a host reserves (the system, each Airflow component it runs) and what its task slots may use
    (each slot of an executor that runs tasks on the host counts the per-task budget plus the Airflow runtime a
    task starts with), and compares the sum with the host's memory.
  - Returns the figures and, when they do not fit or a slot count is not bounded, one message that names every
    number, the option each comes from and the values that would fit.
options:
  _input:
    description: The host's memory in MiB (C(ansible_facts['memtotal_mb']), or C(memtotal_mb) of the P(airflow_deploy.cluster.host_info#module) module).
    type: int
    required: true
  reserved:
    description:
      - What the host reserves, in order, each C(name) (what the memory is for), C(option) (the variable that
        sets it) and C(mb); an item with C(enabled) false (a component the host does not run) is left out.
    type: list
    elements: dict
    required: true
  pools:
    description:
      - The task slots of the host, each C(name) (the executor), C(option) (the variable that sets the number)
        and C(slots); an item with C(enabled) false (an executor the host does not run tasks for) is left out.
      - A slot count of 0 or less is unbounded (Airflow reads C([core] parallelism = 0) as no limit).
      - A slot count of C(auto) (the option is not set) is sized here to what the host's memory leaves after the
        reservations and the other pools, at most C(most) (Airflow's default) and at least 1 (less is a problem);
        with several such pools, they share what is left equally. On a host whose memory is not known (0), an
        C(auto) pool gets C(most) and nothing is checked.
    type: list
    elements: dict
    required: true
  budget_mb:
    description: The memory one task may allocate, in MiB (C(airflow_task_memory_budget_mb)).
    type: int
    required: true
  runtime_mb:
    description: The memory of the Airflow runtime of one task slot, in MiB, counted with the budget.
    type: int
    default: 0
"""

EXAMPLES = r"""
- name: The components and task slots fit in the host's memory
  ansible.builtin.assert:
    that: __plan.problem | length == 0
    fail_msg: "{{ inventory_hostname }}: {{ __plan.problem }}"
  vars:
    __plan: >-
      {{ ansible_facts['memtotal_mb'] | airflow_deploy.cluster.memory_plan(
           [{'name': 'system', 'option': 'airflow_memory_system_mb', 'mb': 1024}],
           [{'name': 'LocalExecutor', 'option': 'airflow_config.core.parallelism', 'slots': 32}], 512) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    memory_mb:
      description: The host's memory (the input).
      type: int
    needed_mb:
      description: The reservations plus every slot times (budget + runtime); C(none) when a slot count is unbounded.
      type: int
    slot_mb:
      description: What one task slot counts (budget + runtime).
      type: int
    slots:
      description: The task slots of the host, all pools together.
      type: int
    pool_mb:
      description: Pool name -> what its slots count (slots x (budget + runtime)); 0 for an unbounded pool.
      type: dict
    pool_slots:
      description: Pool name -> its slot count, as given or, for an C(auto) pool, as sized here.
      type: dict
    breakdown:
      description: The sum written out, such as C(1024 MiB system (airflow_memory_system_mb) + 32 LocalExecutor slots
        (airflow_config.core.parallelism) x (512 MiB budget + 64 MiB runtime) = 19456 MiB).
      type: str
    problem:
      description: Empty when the plan fits; else what does not fit, with the numbers and the values that would.
      type: str
"""

from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError


def _whole(value: Any, what: str) -> int:
    try:  # str() first: int(True) would be 1, int("True") is refused
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"{what} is {value!r}, not a whole number") from None


def _items(items: Any, label: str, count_key: str) -> list[dict[str, Any]]:
    if isinstance(items, (str, Mapping)) or not isinstance(items, Sequence):
        raise AnsibleFilterError(f"memory_plan: {label} must be a list")
    chosen = []
    for item in items:
        if not isinstance(item, Mapping) or not {"name", "option", count_key} <= set(item):
            raise AnsibleFilterError(f"memory_plan: each of {label} needs name, option and {count_key}: {item!r}")
        if str(item.get("enabled", True)).lower() not in ("false", "0", "no", "off"):
            chosen.append(dict(item))
    return chosen


AUTO = "auto"


def _auto_slots(pools: list[dict[str, Any]], memory: int, spare: int, slot_mb: int) -> None:
    """Size each ``auto`` pool in place: what the memory leaves after the given pools, shared, capped at ``most``."""
    auto = [item for item in pools if item["slots"] == AUTO]
    given = sum(item["slots"] for item in pools if item["slots"] != AUTO and item["slots"] > 0) * slot_mb
    for item in auto:
        most = _whole(item.get("most", 32), f"the most slots of {item['option']}")
        left = max(spare - given, 0) // len(auto)
        item["slots"] = most if memory <= 0 else min(most, left // slot_mb if slot_mb > 0 else most)
        item["auto"] = True


def memory_plan(memory_mb: Any, reserved: Any, pools: Any, budget_mb: Any, runtime_mb: Any = 0) -> dict[str, Any]:
    """The memory a host's reservations and task slots may use, against its memory."""
    reservations = _items(reserved, "reserved", "mb")
    slot_pools = _items(pools, "pools", "slots")
    problems: list[str] = []
    try:
        memory = _whole(memory_mb, "the host's memory")
        budget = _whole(budget_mb, "airflow_task_memory_budget_mb")
        runtime = _whole(runtime_mb, "the runtime of a task slot")
    except ValueError as error:
        raise AnsibleFilterError(f"memory_plan: {error}") from None
    for item in reservations:
        try:
            item["mb"] = _whole(item["mb"], str(item["option"]))
        except ValueError as error:
            problems.append(str(error))
            item["mb"] = 0
    for item in slot_pools:
        if str(item["slots"]).strip().lower() == AUTO:
            item["slots"] = AUTO
            continue
        try:
            item["slots"] = _whole(item["slots"], str(item["option"]))
        except ValueError as error:
            problems.append(str(error))
            item["slots"] = 1
    if budget < 1:
        problems.append(f"airflow_task_memory_budget_mb is {budget}; it must be 1 MiB or more")

    fixed = sum(item["mb"] for item in reservations)
    slot_mb = budget + runtime
    spare = memory - fixed
    try:
        _auto_slots(slot_pools, memory, spare, slot_mb)
    except ValueError as error:
        raise AnsibleFilterError(f"memory_plan: {error}") from None
    unbounded = [item for item in slot_pools if item["slots"] <= 0 and not item.get("auto")]
    slots = sum(item["slots"] for item in slot_pools if item["slots"] > 0)
    terms = [f"{item['mb']} MiB {item['name']} ({item['option']})" for item in reservations]
    terms += [f"{item['slots']} {item['name']} slots ({item['option']}{', sized to the memory' if item.get('auto') else ''}) "
              f"x ({budget} MiB budget + {runtime} MiB runtime)" for item in slot_pools]
    needed = None if unbounded else fixed + slots * slot_mb
    breakdown = " + ".join(terms) + (f" = {needed} MiB" if needed is not None else "")

    for item in unbounded:
        most = max(spare - (slots * slot_mb), 0) // slot_mb if slot_mb > 0 else 0
        problems.append(
            f"{item['option']} is {item['slots']}, which Airflow reads as no limit on the {item['name']} tasks running at once, "
            f"so no per-task budget can bound their memory. Set it to {most} or less (the {memory} MiB of the host "
            f"less {fixed} MiB of reservations, by {slot_mb} MiB a slot)")
    for item in slot_pools:
        if item.get("auto") and item["slots"] < 1 and not problems:
            problems.append(
                f"{item['option']} is not set, so it is sized to the host's memory, but the {memory} MiB of the host "
                f"(MemTotal) leave no room for one {item['name']} task slot of {slot_mb} MiB ({budget} MiB budget + "
                f"{runtime} MiB runtime) after {breakdown}. To fit, lower airflow_task_memory_budget_mb or the "
                f"reservations, or give the host more memory")
    if memory > 0 and needed is not None and needed > memory and not problems:
        problems.append(_overcommit(memory, needed, breakdown, spare, slot_pools, slots, slot_mb, runtime))
    pool_mb = {item["name"]: max(item["slots"], 0) * slot_mb for item in slot_pools}
    pool_slots = {item["name"]: item["slots"] for item in slot_pools}
    return {"memory_mb": memory, "needed_mb": needed, "slot_mb": slot_mb, "slots": slots, "pool_mb": pool_mb,
            "pool_slots": pool_slots, "breakdown": breakdown, "problem": "; ".join(problems)}


def _overcommit(memory: int, needed: int, breakdown: str, spare: int, slot_pools: list[dict[str, Any]], slots: int,
                slot_mb: int, runtime: int) -> str:
    """The message of a plan that does not fit, with the values that would."""
    fixes = []
    if spare <= 0:
        fixes.append("lower the reservations, which alone exceed the host's memory")
    else:
        for item in slot_pools:
            others = (slots - item["slots"]) * slot_mb
            most = max(spare - others, 0) // slot_mb
            if most >= 1:
                fixes.append(f"set {item['option']} to {most} or less")
        if slots and spare // slots - runtime >= 1:
            fixes.append(f"set airflow_task_memory_budget_mb to {spare // slots - runtime} or less")
    fixes.append("give the host more memory")
    return (f"the Airflow components and task slots may use {needed} MiB but the host has {memory} MiB "
            f"(MemTotal): {breakdown}. To fit, " + ", or ".join(fixes))


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"memory_plan": memory_plan}
