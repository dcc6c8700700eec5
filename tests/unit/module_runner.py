"""Run a module of the collection as Ansible runs it on a target.

A separate Python process reads the module's arguments from a JSON file, so a test sees exactly
what a play sees: changed, the return values, the no_log masking, the failure messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

MODULES = Path(__file__).resolve().parents[2] / "plugins" / "modules"


def run_module(name: str, args: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run plugins/modules/<name>.py with the given arguments; its JSON result."""
    with tempfile.TemporaryDirectory(prefix="module-args-") as directory:
        args_file = Path(directory) / "args.json"
        args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        proc = subprocess.run([sys.executable, str(MODULES / f"{name}.py"), str(args_file)], capture_output=True,
                              text=True, check=False, env={**os.environ, **(env or {})})
    return json.loads(proc.stdout)
