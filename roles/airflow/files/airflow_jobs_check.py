"""Which Airflow jobs and Celery workers of a host are alive, several checks (and hosts) in one process.

Installed by the airflow role inside the ``<airflow_cli_wrapper>-jobs-check`` wrapper (run as root;
the wrapper drops to the airflow user with the services' environment):

    airflow-jobs-check DagProcessorJob TriggererJob
    airflow-jobs-check DagProcessorJob@airflow1.example.com TriggererJob@airflow2.example.com

Each argument is checked as ``airflow jobs check --job-type <type> --local`` does (the newest
running job of that type on this host, judged by Airflow's own ``Job.is_alive``), or with
``@<hostname>`` as ``airflow jobs check --job-type <type> --hostname <hostname>`` does (that host's
jobs, as Airflow's hostname_callable named it there). Airflow is loaded once instead of once per
check. ``CeleryWorker`` (or ``CeleryWorker@<hostname>``) asks the broker instead: alive when the
host's Celery worker (node ``celery@<hostname>``, the host name short or full) answers a ping, as
``celery inspect ping`` does; every worker is pinged once for all such checks. Prints
``<argument> alive`` or ``<argument> dead`` per argument; exit status 0 when every one is alive, 1
otherwise (also on any error), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence

JOB_TYPES = ("SchedulerJob", "DagProcessorJob", "TriggererJob")
CELERY_WORKER = "CeleryWorker"
CHECKS = (*JOB_TYPES, CELERY_WORKER)
# Seconds the broker waits for the workers' answers to one ping.
PING_TIMEOUT = 3.0


def job_check(argument: str) -> str:
    """An argument as argparse accepts it: a job type, optionally followed by @hostname."""
    job_type, at, hostname = argument.partition("@")
    if job_type not in CHECKS or (at and not hostname.strip()):
        raise argparse.ArgumentTypeError(f"invalid check {argument!r}: use JOB_TYPE or JOB_TYPE@HOSTNAME, "
                                         f"JOB_TYPE one of {', '.join(CHECKS)}")
    return argument


def parse_args(argv: Sequence[str]) -> list[str]:
    parser = argparse.ArgumentParser(
        prog="airflow-jobs-check",
        description="Check that a job of each given type runs on this host (or the named one) and heartbeats.",
    )
    parser.add_argument("checks", nargs="+", type=job_check, metavar="JOB_TYPE[@HOSTNAME]",
                        help=", ".join(CHECKS) + "; @HOSTNAME checks the jobs of that host instead of this one")
    return list(dict.fromkeys(parser.parse_args(argv).checks))


def report(alive: Mapping[str, bool]) -> tuple[list[str], int]:
    """One line per check and the exit status."""
    lines = [f"{check} {'alive' if ok else 'dead'}" for check, ok in alive.items()]
    return lines, 0 if alive and all(alive.values()) else 1


def celery_node_names(hostnames: Iterable[str]) -> set[str]:
    """The Celery node names a host's worker may have: celery@ and its name, full or short."""
    return {f"celery@{name}" for hostname in hostnames for name in (hostname, hostname.split(".")[0]) if name}


def workers_alive(checks: Sequence[str], local: Iterable[str], answered: set[str]) -> dict[str, bool]:
    """Per CeleryWorker check: whether a node of its host (this one without @) is among those that answered."""
    local_names = celery_node_names(local)
    return {argument: bool((celery_node_names([argument.partition("@")[2]]) if "@" in argument else local_names)
                           & answered) for argument in checks}


def celery_answers() -> set[str]:
    """The node names of the Celery workers that answer a ping through the broker (imports the executor's app)."""
    from airflow.providers.celery.executors.celery_executor import app

    return {node for reply in app.control.ping(timeout=PING_TIMEOUT) or [] for node in reply}


def check(checks: Sequence[str]) -> dict[str, bool]:
    """Alive or not per check (imports Airflow: run through the wrapper, on a node)."""
    from airflow.utils.net import get_hostname

    workers = [argument for argument in checks if argument.partition("@")[0] == CELERY_WORKER]
    alive = workers_alive(workers, [get_hostname(), socket.gethostname()], celery_answers()) if workers else {}
    alive |= jobs_alive([argument for argument in checks if argument not in alive], get_hostname())
    return {argument: alive[argument] for argument in checks}


def jobs_alive(checks: Sequence[str], local: str) -> dict[str, bool]:
    """Per job check: whether the newest running job of its type on its host (this one without @) heartbeats."""
    if not checks:
        return {}
    from airflow.jobs.job import Job, JobState
    from airflow.utils.session import create_session
    from sqlalchemy import select

    alive: dict[str, bool] = {}
    with create_session() as session:
        for argument in checks:
            job_type, _separator, hostname = argument.partition("@")
            newest = (
                select(Job)
                .where(Job.state == JobState.RUNNING, Job.job_type == job_type, Job.hostname == (hostname or local))
                .order_by(Job.latest_heartbeat.desc())
                .limit(1)
            )
            alive[argument] = any(job.is_alive() for job in session.scalars(newest))
    return alive


def main(argv: Sequence[str] | None = None) -> int:
    checks = parse_args(sys.argv[1:] if argv is None else argv)
    lines, status = report(check(checks))
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
