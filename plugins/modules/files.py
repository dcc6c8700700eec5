#!/usr/bin/python
# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Ensure a set of directories and small files in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: files
short_description: Ensure several directories and small text files in one task
version_added: 0.1.0
description:
  - Creates directories and writes files whose content is given inline (rendered on the
    controller, for example with C(lookup('ansible.builtin.template', ...))), and sets owner,
    group and mode on each, all in one module run.
  - A file is replaced atomically and only when its content differs. It is written beside the old
    one and gets its owner, mode and SELinux context before the rename, so a secret is never
    readable by others, not even for a moment. Attributes an entry leaves out are kept from the
    file it replaces; a new file gets the umask and the default SELinux context of the policy.
  - On a re-run where nothing changed this costs one remote execution for the whole set, where
    M(ansible.builtin.template) or M(ansible.builtin.copy) cost several per file.
  - Contents are never logged on the target or shown in the task output. With C(--diff), the
    diff of each changed file is shown, except for entries marked O(files[].secret).
options:
  files:
    description: The directories and files, applied in order (a directory before the files in it).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path of the directory or file.
        type: path
        required: true
      state:
        description: V(directory) creates the directory (and missing parents); V(file) writes O(files[].content).
        type: str
        choices: [file, directory]
        default: file
      content:
        description: The whole content of the file (required when O(files[].state=file)).
        type: str
      owner:
        description: Owner of the path; unchanged when omitted.
        type: str
      group:
        description: Group of the path; unchanged when omitted.
        type: str
      mode:
        description: Mode as an octal string, for example V('0640'); unchanged when omitted.
        type: str
      secret:
        description:
          - The content is secret; no diff is returned for it. Give such files mode V('0600') or V('0640').
          - The output of a failing O(files[].validate) command is not shown for it.
        type: bool
        default: false
      validate:
        description:
          - A command that checks the new content before it replaces the file, for example
            V(haproxy -c -f %s). C(%s) stands for the path of the new content, written to a temporary
            file in the destination directory with the owner and mode of the entry.
          - The command is split like a shell would split it, but runs without a shell (no pipes,
            redirections or variables).
          - It runs only when the content differs, and not in check mode. When it exits non-zero the
            module fails, naming the path and the command's output, and the old file stays as it was.
            Entries before it in O(files) are already applied then.
          - Only for O(files[].state=file).
        type: str
  found:
    description:
      - The state of the paths as M(airflow_deploy.cluster.host_probe) gave it (its C(stats), the answer
        to its O(airflow_deploy.cluster.host_probe#module:stat) question), typically read by a preflight
        earlier in the run.
      - When every entry is already as wanted according to it (type, content, owner, group, mode), the
        module does not run at all; the task costs no remote execution and reports no change. A path it
        does not cover, or any difference, makes the module run and decide as usual.
      - Handled by the action on the controller; never sent to the host.
    type: dict
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: airflow-deploy maintainers
"""

EXAMPLES = r"""
- name: Write the configuration of the service
  airflow_deploy.cluster.files:
    files:
      - path: /etc/myapp
        state: directory
        owner: root
        group: myapp
        mode: "0750"
      - path: /etc/myapp/myapp.cfg
        content: "{{ lookup('ansible.builtin.template', 'myapp.cfg.j2') }}"
        owner: root
        group: myapp
        mode: "0640"
      - path: /etc/myapp/secrets.env
        content: "{{ lookup('ansible.builtin.template', 'secrets.env.j2') }}"
        owner: root
        group: root
        mode: "0600"
        secret: true
  register: myapp_files
  notify: restart myapp

- name: Write a configuration that the service checks before it replaces the old one
  airflow_deploy.cluster.files:
    files:
      - path: /etc/haproxy/haproxy.cfg
        content: "{{ lookup('ansible.builtin.template', 'haproxy.cfg.j2') }}"
        owner: root
        group: haproxy
        mode: "0640"
        validate: haproxy -c -f %s
  notify: reload haproxy
"""

RETURN = r"""
changed_paths:
  description: The paths created or changed (content or attributes), in the order given.
  returned: always
  type: list
  elements: str
  sample: [/etc/myapp/myapp.cfg]
checksums:
  description: SHA-1 of the wanted content of each file entry (as M(ansible.builtin.copy)'s C(checksum)).
  returned: always
  type: dict
  sample: {/etc/myapp/myapp.cfg: 3c3b0c6e2e8f7e0e9c2c4b1b8f4f2f2c1a0d9e8f}
"""

import os
import shlex
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.atomic_file import ensure_file, settle_attributes
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.found import content_sha1

ARGUMENT_SPEC: dict[str, Any] = {
    "files": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "choices": ["file", "directory"], "default": "file"},
            "content": {"type": "str", "no_log": True},
            "owner": {"type": "str"},
            "group": {"type": "str"},
            "mode": {"type": "str"},
            "secret": {"type": "bool", "default": False},
            "validate": {"type": "str"},
        },
        "required_if": [("state", "file", ("content",))],
    },
    "found": {"type": "dict"},
}


def ensure_directory(module: AnsibleModule, entry: dict[str, Any]) -> bool:
    """Create the directory when missing; True when it was created."""
    path = entry["path"]
    if os.path.isdir(path):
        return False
    if os.path.lexists(path):
        module.fail_json(msg=f"{path} exists and is not a directory: remove it or choose another path")
    if not module.check_mode:
        os.makedirs(path)
    return True


def validate_command_error(entry: dict[str, Any]) -> str | None:
    """Why the entry's validate command cannot be used, or None when it can (or there is none)."""
    command = entry["validate"]
    if command is None:
        return None
    if entry["state"] != "file":
        return "validate applies to files only (state=file)"
    try:
        arguments = shlex.split(command)
    except ValueError as error:
        return f"validate `{command}` cannot be split into arguments: {error}"
    if not any("%s" in argument for argument in arguments):
        return f"validate `{command}` must contain %s, which stands for the path of the new content"
    return None


def check_validate_commands(module: AnsibleModule) -> None:
    """Fail before anything is written when a validate command is unusable."""
    for entry in module.params["files"]:
        error = validate_command_error(entry)
        if error:
            module.fail_json(msg=f"{entry['path']}: {error}")


def apply(module: AnsibleModule) -> dict[str, Any]:
    """Apply every entry in order; the module result."""
    check_validate_commands(module)
    changed_paths: list[str] = []
    befores: dict[str, str] = {}
    checksums: dict[str, str] = {}
    for entry in module.params["files"]:
        path = entry["path"]
        if entry["state"] == "directory":
            created = ensure_directory(module, entry)
        else:
            checksums[path] = content_sha1(entry["content"])
            created = ensure_file(module, entry, befores)
        if settle_attributes(module, entry, created):
            changed_paths.append(path)
    result: dict[str, Any] = {"changed": bool(changed_paths), "changed_paths": changed_paths, "checksums": checksums}
    if module._diff:
        result["before_base64"] = befores
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.exit_json(**apply(module))


if __name__ == "__main__":
    main()
