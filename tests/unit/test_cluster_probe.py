"""tools/cluster_probe.py: the script it runs inside the scenarios' S3 container is valid Python
with one branch per action (the scenarios' tests and make bench-cluster depend on it)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from cluster_probe import S3_SCRIPT


def test_the_s3_script_parses_and_handles_put_list_and_delete() -> None:
    tree = ast.parse(S3_SCRIPT)
    compared = {node.comparators[0].value for node in ast.walk(tree)
                if isinstance(node, ast.Compare) and isinstance(node.comparators[0], ast.Constant)}
    assert {"put", "list"} <= compared
    assert "delete_object" in S3_SCRIPT and "list_objects_v2" in S3_SCRIPT
