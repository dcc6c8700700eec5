"""Which Airflow jobs of this host are alive, for several job types in one process.

Installed by the airflow role inside the ``<airflow_cli_wrapper>-jobs-check`` wrapper (run as root;
the wrapper drops to the airflow user with the services' environment):

    airflow-jobs-check DagProcessorJob TriggererJob

Each job type is checked as ``airflow jobs check --job-type <type> --local`` does (the newest running
job of that type on this host, judged by Airflow's own ``Job.is_alive``), but Airflow is loaded once
instead of once per type. Prints ``<type> alive`` or ``<type> dead`` per argument; exit status 0
when every one is alive, 1 otherwise (also on any error), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

JOB_TYPES = ("SchedulerJob", "DagProcessorJob", "TriggererJob")


def parse_args(argv: Sequence[str]) -> list[str]:
    parser = argparse.ArgumentParser(
        prog="airflow-jobs-check",
        description="Check that a job of each given type runs on this host and heartbeats.",
    )
    parser.add_argument("job_types", nargs="+", choices=JOB_TYPES, metavar="JOB_TYPE", help=", ".join(JOB_TYPES))
    return list(dict.fromkeys(parser.parse_args(argv).job_types))


def report(alive: Mapping[str, bool]) -> tuple[list[str], int]:
    """One line per job type and the exit status."""
    lines = [f"{job_type} {'alive' if ok else 'dead'}" for job_type, ok in alive.items()]
    return lines, 0 if alive and all(alive.values()) else 1


def check(job_types: Sequence[str]) -> dict[str, bool]:
    """Alive or not per job type (imports Airflow: run through the wrapper, on a node)."""
    from airflow.jobs.job import Job, JobState
    from airflow.utils.net import get_hostname
    from airflow.utils.session import create_session
    from sqlalchemy import select

    hostname = get_hostname()
    alive: dict[str, bool] = {}
    with create_session() as session:
        for job_type in job_types:
            newest = (
                select(Job)
                .where(Job.state == JobState.RUNNING, Job.job_type == job_type, Job.hostname == hostname)
                .order_by(Job.latest_heartbeat.desc())
                .limit(1)
            )
            alive[job_type] = any(job.is_alive() for job in session.scalars(newest))
    return alive


def main(argv: Sequence[str] | None = None) -> int:
    job_types = parse_args(sys.argv[1:] if argv is None else argv)
    lines, status = report(check(job_types))
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    sys.exit(main())
