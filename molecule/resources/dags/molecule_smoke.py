"""Smoke DAG of the molecule scenarios: one plain task, then one that defers to the triggerer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from airflow.sdk import DAG, BaseOperator, task


class WaitDeferred(BaseOperator):
    """Defers for a while, so the run only succeeds when a triggerer is alive.

    Long enough for the scheduler to take in the executor's report of the deferring try before the
    trigger fires, even on a busy machine: when the trigger fires first, Airflow 3.3 may fail the
    resumed try as "state changed externally" (apache/airflow#67287, #72716), an upstream race that
    a 3-second trigger met on a loaded 2-core CI machine."""

    def execute(self, context: Any) -> None:
        self.defer(trigger=TimeDeltaTrigger(timedelta(seconds=20)), method_name="resume")

    def resume(self, context: Any, event: Any = None) -> str:
        return "resumed by the triggerer"


with DAG(
    dag_id="molecule_smoke",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["molecule"],
    # Like production DAGs: a task whose first try meets a just-recovered database tries again.
    default_args={"retries": 2, "retry_delay": timedelta(seconds=5)},
):

    @task
    def hello() -> str:
        # A line the cluster scenario looks for in the task log read back from S3.
        print("molecule_smoke: hello ran")
        return "hello from the scheduler's LocalExecutor"

    hello() >> WaitDeferred(task_id="wait_deferred")
