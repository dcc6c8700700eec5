"""Render the task pods of a DAG as `airflow kubernetes generate-dag-yaml -B BUNDLE` would.

Usage (on the node, in the airflow CLI's environment): render_pods.py DAG_ID LOGICAL_DATE BUNDLE OUTPUT_DIR.
It calls the provider's own command function; only the bundle argument is adapted (see OneBundle).
"""
import sys
from argparse import Namespace
from collections.abc import Iterator

from airflow.providers.cncf.kubernetes.cli.kubernetes_command import generate_pod_yaml
from airflow.sdk import timezone


class OneBundle(str):
    """The bundle name, usable as the one-element list the DAG lookup iterates and as the string the
    task's workload needs: cncf-kubernetes 10.25 passes -B's list to both, which fails."""

    def __iter__(self) -> Iterator[str]:
        yield str(self)


dag_id, logical_date, bundle, output = sys.argv[1:5]
generate_pod_yaml(Namespace(dag_id=dag_id, logical_date=timezone.parse(logical_date), bundle_name=OneBundle(bundle),
                            output_path=output, team=None, verbose=False, subcommand="generate-dag-yaml"))
