"""Celery DAGs of the molecule scenarios.

molecule_celery_queues: one task on the default queue and one on high_cpu; each returns the worker's
host name, which the task instance's hostname must match.
molecule_celery_sleep: one task on the default queue that sleeps for the run's conf "seconds"
(default 45), long enough to restart, kill or cut off its worker while it runs. Its retries cover a
broker outage of 60 s: a task the scheduler hands over while Redis is down fails to publish and goes
up for retry (docs/operations.md, "Celery workers").
"""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, task

with DAG(
    dag_id="molecule_celery_queues",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["molecule"],
):

    @task
    def on_default() -> str:
        return socket.gethostname()

    @task(queue="high_cpu")
    def on_high_cpu() -> str:
        return socket.gethostname()

    on_default()
    on_high_cpu()


with DAG(
    dag_id="molecule_celery_sleep",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["molecule"],
    max_active_runs=8,
    default_args={"retries": 3, "retry_delay": timedelta(seconds=30)},
):

    @task
    def sleep(**context: Any) -> str:
        seconds = int((context["dag_run"].conf or {}).get("seconds", 45))
        print(f"molecule_celery_sleep: sleeping {seconds} s on {socket.gethostname()}")
        time.sleep(seconds)
        return socket.gethostname()

    sleep()
