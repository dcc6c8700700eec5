# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: outdated_files
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: The controller's files whose copy on a host is missing or differs
description:
  - Compares files on the controller with what one C(ansible.builtin.find) (with C(get_checksum)) read on the host
    in a directory, and returns the base names of those that a C(copy) loop has to write. One C(find) reads a
    whole directory in one remote run, where a C(copy) loop asks the host two remote runs per file (a checksum,
    then its attributes) even when nothing changed.
  - A file is outdated when the host has no regular file of that name in the directory, or when its SHA-1,
    owner, group or mode differs from the wanted ones. A symbolic link counts as missing.
  - Files the host has and the controller has not are left out; remove them in a task of their own.
options:
  _input:
    description: The C(files) of an C(ansible.builtin.find) of the destination directory, run with
      C(get_checksum=true) and the default C(checksum_algorithm) (SHA-1).
    type: list
    elements: dict
    required: true
  sources:
    description: Paths of the files on the controller (for example from C(ansible.builtin.fileglob)).
    type: list
    elements: path
    required: true
  owner:
    description: The owner each copy must have.
    type: str
    required: true
  group:
    description: The group each copy must have.
    type: str
    required: true
  mode:
    description: The mode each copy must have, as four octal digits.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the installed modules
  ansible.builtin.find:
    paths: /usr/local/lib/airflow-deploy/airflow_dag_sync
    patterns: "*.py"
    get_checksum: true
  register: installed

- name: Install the modules that are missing or differ
  ansible.builtin.copy:
    src: airflow_dag_sync/{{ item }}
    dest: /usr/local/lib/airflow-deploy/airflow_dag_sync/{{ item }}
    owner: root
    group: root
    mode: "0644"
  loop: >-
    {{ installed.files | airflow_deploy.cluster.outdated_files(lookup('ansible.builtin.fileglob', 'airflow_dag_sync/*.py', wantlist=True),
                                                               owner='root', group='root', mode='0644') }}
"""

RETURN = r"""
_value:
  description: The base names of the outdated files, sorted.
  type: list
  elements: str
"""

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.utils.hashing import checksum

_MODE = re.compile(r"^0[0-7]{3}$")


def found_by_name(found: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The regular files of a find result by base name (a link or a directory is not a copy)."""
    return {os.path.basename(entry["path"]): entry for entry in found if entry.get("isreg") and not entry.get("islnk")}


def is_current(entry: Mapping[str, Any] | None, sha1: str, owner: str, group: str, mode: str) -> bool:
    """Whether a found file has the wanted content, owner, group and mode."""
    if entry is None:
        return False
    if "checksum" not in entry:
        raise AnsibleFilterError("outdated_files: run ansible.builtin.find with get_checksum=true")
    return (entry["checksum"], entry.get("pw_name"), entry.get("gr_name"), entry.get("mode")) == (sha1, owner, group, mode)


def outdated_files(found: Sequence[Mapping[str, Any]], sources: Sequence[str], owner: str, group: str,
                   mode: str) -> list[str]:
    """The base names of the sources whose copy in the found directory is missing or differs."""
    if not isinstance(found, Sequence) or isinstance(found, str):
        raise AnsibleFilterError("outdated_files: the input must be the 'files' of an ansible.builtin.find")
    if not _MODE.match(str(mode)):
        raise AnsibleFilterError(f"outdated_files: mode must be four octal digits such as '0644', not {mode!r}")
    names = [os.path.basename(path) for path in sources]
    if len(set(names)) != len(names):
        raise AnsibleFilterError(f"outdated_files: the sources share base names: {sorted(sources)}")
    installed = found_by_name(found)
    return sorted(os.path.basename(path) for path in sources
                  if not is_current(installed.get(os.path.basename(path)), checksum(path), owner, group, mode))


class FilterModule:
    """Filters of the collection."""

    def filters(self) -> dict[str, object]:
        return {"outdated_files": outdated_files}
