"""The order rolling_upgrade.yml upgrades the hosts in (deploy skew, docs/operations.md): the control-plane
hosts in inventory order, then the Celery workers, whatever the inventory lists first. The play's hosts
expression is rendered with Ansible's own templating on the controller; the airflow_celery scenario runs the
play on real hosts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

PLAYBOOK = Path(__file__).resolve().parents[2] / "playbooks" / "rolling_upgrade.yml"


def upgrade_order(groups: dict[str, list[str]]) -> list[str]:
    """The hosts of the upgrade play, in the order it takes them, for an inventory's groups."""
    play = next(play for play in yaml.safe_load(PLAYBOOK.read_text()) if play.get("name") == "Upgrade one host at a time")
    hosts = Templar(loader=DataLoader(), variables={"groups": groups}).template(trust_as_template(play["hosts"]))
    return list(hosts)


@pytest.mark.parametrize(("groups", "order"), [
    # Workers listed first: they still go last, each part in inventory order.
    ({"airflow": ["worker1", "airflow1", "worker2", "airflow2"], "airflow_workers": ["worker1", "worker2"]},
     ["airflow1", "airflow2", "worker1", "worker2"]),
    # No worker group (LocalExecutor or KubernetesExecutor): the inventory order.
    ({"airflow": ["airflow2", "airflow1"]}, ["airflow2", "airflow1"]),
    # A worker outside the group airflow is not upgraded by this play.
    ({"airflow": ["airflow1"], "airflow_workers": ["worker1"]}, ["airflow1"]),
    ({}, []),
], ids=["workers first in the inventory", "no workers", "worker outside airflow", "empty inventory"])
def test_the_control_plane_goes_first_and_the_workers_last(groups: dict[str, list[str]], order: list[str]) -> None:
    assert upgrade_order(groups) == order
