"""Which Airflow jobs of a host are alive, for several job types (and hosts) in one process.

Installed by the airflow role inside the ``<airflow_cli_wrapper>-jobs-check`` wrapper (run as root;
the wrapper drops to the airflow user with the services' environment):

    airflow-jobs-check DagProcessorJob TriggererJob
    airflow-jobs-check DagProcessorJob@airflow1.example.com TriggererJob@airflow2.example.com

Each argument is checked as ``airflow jobs check --job-type <type> --local`` does (the newest
running job of that type on this host, judged by Airflow's own ``Job.is_alive``), or with
``@<hostname>`` as ``airflow jobs check --job-type <type> --hostname <hostname>`` does (that host's
jobs, as Airflow's hostname_callable named it there). Airflow is loaded once instead of once per
check. Prints ``<argument> alive`` or ``<argument> dead`` per argument; exit status 0 when every one
is alive, 1 otherwise (also on any error), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

JOB_TYPES = ("SchedulerJob", "DagProcessorJob", "TriggererJob")


def job_check(argument: str) -> str:
    """An argument as argparse accepts it: a job type, optionally followed by @hostname."""
    job_type, at, hostname = argument.partition("@")
    if job_type not in JOB_TYPES or (at and not hostname.strip()):
        raise argparse.ArgumentTypeError(f"invalid check {argument!r}: use JOB_TYPE or JOB_TYPE@HOSTNAME, "
                                         f"JOB_TYPE one of {', '.join(JOB_TYPES)}")
    return argument


def parse_args(argv: Sequence[str]) -> list[str]:
    parser = argparse.ArgumentParser(
        prog="airflow-jobs-check",
        description="Check that a job of each given type runs on this host (or the named one) and heartbeats.",
    )
    parser.add_argument("checks", nargs="+", type=job_check, metavar="JOB_TYPE[@HOSTNAME]",
                        help=", ".join(JOB_TYPES) + "; @HOSTNAME checks the jobs of that host instead of this one")
    return list(dict.fromkeys(parser.parse_args(argv).checks))


def report(alive: Mapping[str, bool]) -> tuple[list[str], int]:
    """One line per check and the exit status."""
    lines = [f"{check} {'alive' if ok else 'dead'}" for check, ok in alive.items()]
    return lines, 0 if alive and all(alive.values()) else 1


def check(checks: Sequence[str]) -> dict[str, bool]:
    """Alive or not per check (imports Airflow: run through the wrapper, on a node)."""
    from airflow.jobs.job import Job, JobState
    from airflow.utils.net import get_hostname
    from airflow.utils.session import create_session
    from sqlalchemy import select

    local = get_hostname()
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
