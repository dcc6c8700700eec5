"""Make the pod hook module of the airflow_kubernetes_executor role importable."""

from __future__ import annotations

import sys
from pathlib import Path

HOOK_DIR = Path(__file__).resolve().parents[3] / "roles" / "airflow_kubernetes_executor" / "files"
if str(HOOK_DIR) not in sys.path:
    sys.path.insert(0, str(HOOK_DIR))
