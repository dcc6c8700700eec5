#!/usr/bin/python
# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Install a systemd unit file, enable and start the unit, in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: systemd_unit
short_description: Install a systemd unit file, then enable and start the unit, in one module run
version_added: 0.1.0
description:
  - Writes the unit file (root-owned, mode 0644) when its content differs, atomically as
    M(airflow_deploy.cluster.files) does, runs C(systemctl daemon-reload) when it wrote it,
    then enables the unit and starts it when it is not running.
  - A unit that runs already is not restarted, even when its file changed; RV(file_changed) tells
    the play, which restarts it its own way (for example one host at a time behind a load balancer).
  - On a re-run where nothing changed this costs one remote execution, where
    M(ansible.builtin.template) and M(ansible.builtin.systemd_service) cost several.
options:
  name:
    description: The unit name, for example V(airflow-scheduler.service).
    type: str
    required: true
  content:
    description: The whole content of the unit file.
    type: str
    required: true
  directory:
    description: Directory of the unit file.
    type: path
    default: /etc/systemd/system
  enabled:
    description: Enable the unit (V(false) leaves its enablement as it is).
    type: bool
    default: true
  started:
    description: Start the unit when it does not run (V(false) leaves it as it is).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: airflow-deploy maintainers
"""

EXAMPLES = r"""
- name: Install, enable and start the scheduler
  airflow_deploy.cluster.systemd_unit:
    name: airflow-scheduler.service
    content: "{{ lookup('ansible.builtin.template', 'airflow-component.service.j2') }}"
  register: unit
  notify: restart the host  # when unit.file_changed and the unit ran already
"""

RETURN = r"""
file_changed:
  description: Whether the unit file was (or in check mode would be) written.
  returned: always
  type: bool
enabled_now:
  description: Whether the unit was enabled by this run.
  returned: always
  type: bool
started:
  description: Whether the unit was started by this run (it did not run before).
  returned: always
  type: bool
"""

import base64
import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.atomic_file import ensure_file, settle_attributes

ARGUMENT_SPEC: dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "content": {"type": "str", "required": True},
    "directory": {"type": "path", "default": "/etc/systemd/system"},
    "enabled": {"type": "bool", "default": True},
    "started": {"type": "bool", "default": True},
}


def systemctl(module: AnsibleModule, *args: str, check: bool = True) -> tuple[int, str]:
    """Run systemctl; its exit status and output (a failure ends the module when check is set)."""
    argv = [module.get_bin_path("systemctl", required=True), *args]
    rc, out, err = module.run_command(argv)
    if check and rc != 0:
        module.fail_json(msg=f"{' '.join(argv)} failed (rc {rc}): {(err or out).strip()}")
    return rc, out.strip()


def install_file(module: AnsibleModule, path: str, content: str) -> tuple[bool, dict[str, str] | None]:
    """Write the unit file when it differs; whether it changed, and the diff of its content (diff mode only)."""
    entry = {"path": path, "content": content, "owner": "root", "group": "root", "mode": "0644", "secret": False}
    befores: dict[str, str] = {}
    changed = settle_attributes(module, entry, ensure_file(module, entry, befores))
    if path not in befores:
        return changed, None
    before = base64.b64decode(befores[path]).decode("utf-8", "replace")
    return changed, {"before_header": path, "after_header": path, "before": before, "after": content}


def enable(module: AnsibleModule, name: str) -> bool:
    """Enable the unit when it is not; whether it was (or would be) enabled."""
    rc, state = systemctl(module, "is-enabled", name, check=False)
    if rc == 0 and state in ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated"):
        return False
    if not module.check_mode:
        systemctl(module, "enable", name)
    return True


def start(module: AnsibleModule, name: str) -> bool:
    """Start the unit when it is not active; whether it was (or would be) started."""
    rc, _ = systemctl(module, "is-active", "--quiet", name, check=False)
    if rc == 0:
        return False
    if not module.check_mode:
        systemctl(module, "start", name)
    return True


def apply(module: AnsibleModule) -> dict[str, Any]:
    """Install the file, reload when it changed, enable, start; the module result."""
    params = module.params
    name = params["name"]
    file_changed, diff = install_file(module, os.path.join(params["directory"], name), params["content"])
    if file_changed and not module.check_mode:
        systemctl(module, "daemon-reload")
    # In check mode a new unit is unknown to systemd: not enabled, not active, so both would happen.
    enabled_now = params["enabled"] and enable(module, name)
    started = params["started"] and start(module, name)
    result: dict[str, Any] = {"changed": file_changed or enabled_now or started, "file_changed": file_changed,
                              "enabled_now": enabled_now, "started": started}
    if diff is not None:
        result["diff"] = diff
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(**apply(module))


if __name__ == "__main__":
    main()
