"""``python -m airflow_dag_sync``: the engine's command line (see the package docstring)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
