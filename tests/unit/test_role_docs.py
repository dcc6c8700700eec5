"""tools/role_docs.py renders Ansible's documentation markup as Markdown in the role READMEs."""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from role_docs import markdown, render


def test_the_markup_becomes_markdown() -> None:
    assert markdown("Set O(airflow_home) to C(/var/lib/airflow) (V(true) means I(on), B(really))") == (
        "Set `airflow_home` to `/var/lib/airflow` (`true` means *on*, **really**)")
    assert markdown("See L(the docs,https://example.org/a) or U(https://example.org/b)") == (
        "See [the docs](https://example.org/a) or <https://example.org/b>")
    assert markdown("C(airflow db check-migrations --migration-wait-timeout N)") == (
        "`airflow db check-migrations --migration-wait-timeout N`")
    assert markdown("E(AIRFLOW_HOME) and C(tasks_from=component)") == "`AIRFLOW_HOME` and `tasks_from=component`"


def test_nested_parentheses_inside_code_stay() -> None:
    assert markdown("C(lookup('file', x)) done") == "`lookup('file', x)` done"


def test_the_rendered_options_table_has_no_raw_markup() -> None:
    specs = {"main": {"short_description": "Base", "options": {
        "airflow_home": {"type": "path", "default": "/var/lib/airflow", "description": ["Home; see O(airflow_x)."]}}}}
    table = render(specs)
    assert "| `airflow_home` | path | `\"/var/lib/airflow\"` | Home; see `airflow_x`. |" in table
    assert "O(" not in table


def test_a_word_ending_in_a_markup_letter_is_left_alone() -> None:
    assert markdown("SCHEDULE(x) and LOGIC(y)") == "SCHEDULE(x) and LOGIC(y)"


def test_a_folded_jinja_default_is_one_table_cell() -> None:
    """A default with newlines and pipes (a Jinja expression) must not break the Markdown table row."""
    specs = {"main": {"short_description": "Base", "options": {
        "airflow_hosts": {"type": "list", "elements": "str", "description": "Hosts.",
                          "default": "{{ groups['airflow_webservers']\n   | default([]) }}"}}}}
    row = next(line for line in render(specs).splitlines() if line.startswith("| `airflow_hosts`"))
    assert "`\"{{ groups['airflow_webservers'] \\| default([]) }}\"`" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four cells


def test_an_option_of_another_role_or_entry_point_shows_its_name() -> None:
    assert markdown("see O(airflow_deploy.cluster.airflow#role:main:airflow_api_port) and friends") == (
        "see `airflow_api_port` and friends")
    assert markdown("O(airflow_deploy.cluster.health_info#module:url=http://x)") == "`url=http://x`"


def test_version_added_is_shown_for_entry_points_and_newer_options() -> None:
    specs = {"main": {"short_description": "Base", "version_added": "0.1.0", "options": {
        "airflow_a": {"type": "str", "description": "A."},
        "airflow_b": {"type": "str", "description": "B.", "version_added": "0.2.0"}}}}
    text = render(specs)
    assert "Base.\n\nAdded in version 0.1.0.\n" in text
    assert "| `airflow_a` | str |  | A. |" in text
    assert "| `airflow_b` | str |  | B. Added in version 0.2.0. |" in text
