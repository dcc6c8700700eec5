# Copyright: airflow-deploy maintainers
# Apache License 2.0 (see LICENSE)
from __future__ import annotations

DOCUMENTATION = r"""
name: iana_timezone
author: airflow-deploy maintainers (@airflow-deploy)
version_added: 0.1.0
short_description: Is the value a time zone Airflow accepts as its default
description:
  - True for V(UTC), V(system) (the host's own zone) and the names of the IANA time zone database
    (V(Asia/Seoul), V(Europe/Berlin)), the values of Airflow's C([core] default_timezone).
  - The names come from the controller's time zone database (Python's C(zoneinfo)); a controller without
    one cannot judge a name and lets it pass (the installed Airflow checks it again before C(airflow.cfg)
    is written).
options:
  _input:
    description: The value to check.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse a misspelt time zone
  ansible.builtin.assert:
    that: airflow_timezone is airflow_deploy.cluster.iana_timezone
"""

RETURN = r"""
_value:
  description: Whether Airflow accepts the value as its default time zone.
  type: bool
"""

import zoneinfo
from collections.abc import Set as AbstractSet


def is_iana_timezone(value: object, known: AbstractSet[str] | None = None) -> bool:
    """UTC, system, or a name of the time zone database (any name when the database is missing)."""
    if not isinstance(value, str):
        return False
    if value in ("UTC", "system"):
        return True
    names = zoneinfo.available_timezones() if known is None else known
    return value in names if names else bool(value.strip())


class TestModule:
    """Jinja2 tests of the collection."""

    def tests(self) -> dict[str, object]:
        return {"iana_timezone": is_iana_timezone}
