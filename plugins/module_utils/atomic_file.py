# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Write a small text file atomically, with its owner, mode and SELinux context set (and the new
content validated, when asked) before the rename.

Shared by the modules that write files (files, systemd_unit).
"""

from __future__ import annotations

import base64
import os
import shlex
import stat
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule


def read_current(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def prepare_attributes(module: AnsibleModule, entry: dict[str, Any], tmp_path: str) -> None:
    """Give the new file its final owner, mode and SELinux context before it replaces the old one.

    The file is never readable by others, not even between the rename and a chmod after it. What
    the entry leaves out comes from the file it replaces (or, for a new file, the umask, the
    owner of the process and the policy's default context), as with ansible.builtin.copy.
    """
    path = entry["path"]
    current = os.stat(path) if os.path.exists(path) else None
    if current is not None:
        os.chmod(tmp_path, stat.S_IMODE(current.st_mode))
        if os.geteuid() == 0:
            os.chown(tmp_path, current.st_uid, current.st_gid)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
    if module.selinux_enabled():
        context = module.selinux_context(path) if current is not None else module.selinux_default_context(path)
        module.set_context_if_different(tmp_path, context, False)
    module.set_fs_attributes_if_different(attributes_of(module, {**entry, "path": tmp_path}), False)


def write_atomically(module: AnsibleModule, entry: dict[str, Any], data: bytes) -> None:
    """Write beside the destination, then rename over it (keeps the old file on any error)."""
    path = entry["path"]
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        module.fail_json(msg=f"cannot write {path}: the directory {directory} does not exist; create it first "
                             f"(a state=directory entry before this one)")
    handle, tmp_path = tempfile.mkstemp(dir=directory, prefix=".airflow-deploy-")
    try:
        with os.fdopen(handle, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        prepare_attributes(module, entry, tmp_path)
        validate(module, entry, tmp_path)
        os.replace(tmp_path, path)
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)


def validation_argv(command: str, tmp_path: str) -> list[str]:
    """The arguments of a validate command (split as a shell would, run without one), %s the new file."""
    return [argument.replace("%s", tmp_path) for argument in shlex.split(command)]


def validate(module: AnsibleModule, entry: dict[str, Any], tmp_path: str) -> None:
    """Run the entry's validate command on the new content; a failure ends the module, the old file untouched.

    The output of the command is left out of the message for a secret entry (it may quote the content).
    """
    command = entry.get("validate")
    if not command:
        return
    rc, out, err = module.run_command(validation_argv(command, tmp_path))
    if rc == 0:
        return
    output = "(not shown: the entry is secret)" if entry.get("secret") else "\n".join(
        text.strip() for text in (err, out) if text.strip())
    module.fail_json(msg=f"{entry['path']} was left as it was: the new content failed `{command}` (rc {rc}): {output}")


def attributes_of(module: AnsibleModule, entry: dict[str, Any]) -> dict[str, Any]:
    """The file arguments of AnsibleModule.set_fs_attributes_if_different (SELinux: the policy's)."""
    return module.load_file_common_arguments({key: entry[key] for key in ("path", "owner", "group", "mode")})


def settle_attributes(module: AnsibleModule, entry: dict[str, Any], written: bool) -> bool:
    """Owner, group, mode of the path as the entry wants them; True when the path changed at all.

    In check mode a path still to be created has no attributes to compare: it changes by being written.
    """
    if not os.path.lexists(entry["path"]):
        return written
    return module.set_fs_attributes_if_different(attributes_of(module, entry), written)


def ensure_file(module: AnsibleModule, entry: dict[str, Any], befores: dict[str, str]) -> bool:
    """Write the content when it differs; True when it was (or would be) written."""
    path = entry["path"]
    if os.path.isdir(path):
        module.fail_json(msg=f"{path} is a directory, not a file: remove it or choose another path")
    wanted = entry["content"].encode("utf-8")
    current = read_current(path)
    if current == wanted:
        return False
    if module._diff and not entry["secret"]:
        # Base64, so that Ansible's masking of the no_log contents cannot hit the old content
        # (it would when the new content is a part of the old one).
        befores[path] = base64.b64encode(current or b"").decode("ascii")
    if not module.check_mode:
        write_atomically(module, entry, wanted)
    return True
