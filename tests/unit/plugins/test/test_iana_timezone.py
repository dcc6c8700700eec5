"""The iana_timezone test plugin: the values Airflow accepts as [core] default_timezone."""

from __future__ import annotations

import pytest
from ansible_collections.airflow_deploy.cluster.plugins.test.iana_timezone import TestModule as TimezoneTests
from ansible_collections.airflow_deploy.cluster.plugins.test.iana_timezone import is_iana_timezone


@pytest.mark.parametrize("value", ["UTC", "system", "Asia/Seoul", "Europe/Berlin", "America/Argentina/Buenos_Aires"])
def test_accepts(value: str) -> None:
    assert is_iana_timezone(value, {"Asia/Seoul", "Europe/Berlin", "America/Argentina/Buenos_Aires"})


@pytest.mark.parametrize("value", ["Asia/Seol", "KST", "", "utc ", None, 9])
def test_rejects(value: object) -> None:
    assert not is_iana_timezone(value, {"Asia/Seoul", "Europe/Berlin"})


def test_without_a_time_zone_database_any_name_passes() -> None:
    assert is_iana_timezone("Asia/Seol", set())
    assert not is_iana_timezone(" ", set())


def test_the_controllers_database_is_used_by_default() -> None:
    assert is_iana_timezone("Asia/Seoul")
    assert not is_iana_timezone("Asia/Seol")


def test_registered_under_its_name() -> None:
    assert TimezoneTests().tests()["iana_timezone"] is is_iana_timezone
