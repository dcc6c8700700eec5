"""roles/airflow/files/validate_airflow_cfg.py: parsing, unknown options, import failures and exit status
(the checks that load Airflow itself run in the `airflow` molecule scenario, against the installed Airflow)."""

from __future__ import annotations

import configparser
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from role_files import load

validator = load("airflow", "validate_airflow_cfg.py")

KNOWN: dict[str, Any] = {
    "core": {"options": {"parallelism": {}, "executor": {}, "auth_manager": {}}},
    "dag_processor": {"options": {"refresh_interval": {}}},
    "kubernetes_executor": {"options": {"namespace": {}}},
}


def _parser(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=True)
    parser.read_string(text)
    return parser


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "airflow.cfg"
    path.write_text(text)
    return str(path)


def test_known_options_pass() -> None:
    parser = _parser("[core]\nparallelism = 32\nexecutor = LocalExecutor\n[dag_processor]\nrefresh_interval = 30\n")
    assert validator.unknown_options(parser, KNOWN, set(), {}) == []


def test_a_misspelt_option_and_an_unknown_section_are_named() -> None:
    parser = _parser("[core]\nparalelism = 32\n[scheduller]\nparsing_processes = 2\n")
    assert validator.unknown_options(parser, KNOWN, set(), {}) == [
        "[core] paralelism is not an option of this Airflow or of an installed provider: check its name in airflow_config",
        "[scheduller] is not a section of this Airflow or of an installed provider: check the section name in airflow_config",
    ]


def test_renamed_options_and_sections_that_airflow_still_reads_pass() -> None:
    parser = _parser("[scheduler]\ndag_dir_list_interval = 30\n[kubernetes]\nnamespace = airflow\n")
    renamed_options = {("scheduler", "dag_dir_list_interval")}
    assert validator.unknown_options(parser, KNOWN | {"scheduler": {"options": {}}}, renamed_options,
                                     {"kubernetes": "kubernetes_executor"}) == []


def test_an_old_section_name_is_judged_option_by_option() -> None:
    parser = _parser("[webserver]\nweb_server_port = 8080\nweb_server_prot = 8080\n")
    assert validator.unknown_options(parser, KNOWN, {("webserver", "web_server_port")}, {}) == [
        "[webserver] web_server_prot is not an option of this Airflow or of an installed provider: check its name in airflow_config"]


def test_free_form_sections_take_any_key() -> None:
    parser = _parser("[kubernetes_environment_variables]\nTEAM = a\n")
    assert validator.unknown_options(parser, KNOWN, set(), {}) == []


@pytest.mark.parametrize("text", ["[core]\nparallelism = 1\nparallelism = 2\n", "[core]\nx = 100%\n",
                                  "[core]\n[core]\n", "no section\n"])
def test_what_airflow_cannot_parse_fails(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert validator.main(["--parse-only", _write(tmp_path, text)]) == 1
    assert capsys.readouterr().err.startswith("airflow.cfg does not parse: ")


def test_parse_only_accepts_a_file_airflow_parses(tmp_path: Path) -> None:
    assert validator.main(["--parse-only", _write(tmp_path, "[core]\nx = 100%%\n[my_plugin]\nanything = 1\n")]) == 0


def test_import_failures_name_the_option_and_the_fix() -> None:
    def import_executor(name: str) -> None:
        if name != "LocalExecutor":
            raise ImportError(f"No module named {name!r}")

    def import_string(path: str) -> Any:
        raise ImportError("No module named 'nope'")

    problems = validator._import_problems(["LocalExecutor", "CeleryExecutr"], import_executor, "nope.Manager",
                                          import_string)
    assert problems == [
        ("[core] executor CeleryExecutr: cannot be loaded (No module named 'CeleryExecutr'); use LocalExecutor, "
         "KubernetesExecutor or another executor installed in the virtualenv"),
        ("[core] auth_manager nope.Manager: cannot be imported (No module named 'nope'); "
         "set airflow_auth_manager to a class installed in the virtualenv"),
    ]


def test_every_problem_is_printed_and_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    homes: list[str] = []

    def problems(path: str, parser: configparser.ConfigParser) -> list[str]:
        homes.append(validator.os.environ["AIRFLOW_HOME"])
        return ["[core] a: x", "[core] b: y"] if parser.has_option("core", "bad") else []

    monkeypatch.setattr(validator, "airflow_problems", problems)
    monkeypatch.setattr(validator.os, "environ", dict(validator.os.environ))
    assert validator.main([_write(tmp_path, "[core]\nok = 1\n")]) == 0
    assert validator.main([_write(tmp_path, "[core]\nbad = 1\n")]) == 1
    assert capsys.readouterr().err == "[core] a: x\n[core] b: y\n"
    assert homes and not any(Path(home).exists() for home in homes), "the throwaway AIRFLOW_HOME is removed"


def test_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert validator.main([]) == 2
    assert "usage:" in capsys.readouterr().err


def test_the_default_time_zone_is_looked_up_as_airflow_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """With pendulum (Airflow's time zone library) as Airflow has it; the host's own zone is not looked up."""
    def timezone(name: str) -> str:
        if name not in ("UTC", "Asia/Seoul"):
            raise ValueError(name)
        return name

    monkeypatch.setitem(sys.modules, "pendulum", types.SimpleNamespace(timezone=timezone))
    assert validator._timezone_problems("Asia/Seoul") == []
    assert validator._timezone_problems("system") == []
    assert validator._timezone_problems("Asia/Seol") == [
        ("[core] default_timezone Asia/Seol: not a time zone this Airflow knows (Asia/Seol); "
         "set airflow_timezone to an IANA name such as Asia/Seoul, or UTC")]
