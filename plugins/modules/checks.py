#!/usr/bin/python
# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Documentation of the checks action (it runs on the controller only, never on a host)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: checks
short_description: Evaluate many assertions in one task and report every one that fails
version_added: 0.1.0
description:
  - Evaluates each check's O(checks[].that) like M(ansible.builtin.assert), on the controller, and
    fails once with the message of every check that failed, so all bad inputs are named in one run.
  - A check's O(checks[].msg) is templated only when that check fails, so it may name values that
    exist only in the failing case.
  - One task for a whole preflight instead of one per assertion (each task costs a worker process
    per host).
options:
  checks:
    description: The checks, evaluated in order.
    type: list
    elements: dict
    required: true
    suboptions:
      that:
        description: A conditional, or a list of conditionals that must all be true (as in M(ansible.builtin.assert)).
        type: raw
        required: true
      msg:
        description: What failed, with the bad value and the fix. Templated when the check fails.
        type: str
        required: true
      loop:
        description:
          - An expression giving a list; the check is evaluated once per element, bound to C(item) in
            O(checks[].that) and O(checks[].msg).
        type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
author: airflow-deploy maintainers
"""

EXAMPLES = r"""
- name: Check the inputs
  airflow_deploy.cluster.checks:
    checks:
      - that: my_port | int in range(1, 65536)
        msg: my_port is '{{ my_port }}'; set it to a TCP port (1-65535).
      - that: item.value is match('^/')
        msg: "{{ item.key }} is '{{ item.value }}': use an absolute path."
        loop: "{{ {'my_home': my_home, 'my_logs': my_logs} | dict2items }}"
"""

RETURN = r"""
msg:
  description: The single failure's message, every failure numbered, or that all checks passed.
  returned: always
  type: str
failures:
  description: The message of each check (or loop element) that failed, in order.
  returned: failed
  type: list
  elements: str
"""
