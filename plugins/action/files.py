# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
"""Action of airflow_deploy.cluster.files: one module run, then the diffs built on the controller.

The module never returns the new contents (they are no_log parameters, masked in its output), so
the diff of each changed file pairs the old content it returns (base64, out of reach of that
masking) with the content of the task.

With ``found`` (the stats of airflow_deploy.cluster.host_probe), the module does not run at all
when every entry is already as wanted: the result is the one the module would have returned.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ansible.plugins.action import ActionBase
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.found import all_as_found, checksums


def decode_before(encoded: str) -> str:
    """The old content; a note instead when the masking of a tiny content hit its base64 form."""
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8", errors="replace")
    except binascii.Error:
        return "(the old content cannot be shown)\n"


def build_diffs(files: list[dict[str, Any]], befores: dict[str, str]) -> list[dict[str, str]]:
    """One diff per changed, non-secret file, in the order of the task (befores: path -> base64)."""
    diffs = []
    for entry in files:
        path = entry.get("path")
        if path in befores and not entry.get("secret", False):
            before = decode_before(befores[path])
            diffs.append({"before_header": path, "after_header": path,
                          "before": before, "after": str(entry.get("content", ""))})
    return diffs


class ActionModule(ActionBase):
    """Run the files module once unless everything is as found; add the diffs when --diff is on."""

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        module_args = {key: value for key, value in self._task.args.items() if key != "found"}
        entries = module_args.get("files") or []
        if all_as_found(entries, self._task.args.get("found")):
            result.update(changed=False, changed_paths=[], checksums=checksums(entries))
            return result
        module_result = self._execute_module(module_name="airflow_deploy.cluster.files",
                                             module_args=module_args, task_vars=task_vars)
        self._remove_tmp_path(self._connection._shell.tmpdir)
        befores = module_result.pop("before_base64", None) or {}
        if self._task.diff and befores:
            module_result["diff"] = build_diffs(self._task.args.get("files") or [], befores)
        result.update(module_result)
        return result
