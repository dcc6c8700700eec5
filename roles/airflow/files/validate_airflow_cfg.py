"""Check a candidate airflow.cfg with the Airflow that will read it, before it replaces the live file.

The airflow role runs it as the ``validate`` command of the airflow.cfg template, as root, with the
virtualenv's Python (``python validate_airflow_cfg.py [--parse-only] <candidate>``), so a file Airflow would refuse
is never written on any host. It checks that:

- the file parses as Airflow parses it (no duplicate section or key, valid ``%`` interpolation);
- every section and option is one this Airflow version or an installed provider knows (a typo such
  as ``[core] paralelism`` would otherwise be ignored silently);
- Airflow's own validators accept the values (enumerations, deprecated values), and the default
  time zone is one it can look up;
- each executor of ``[core] executor`` and the ``[core] auth_manager`` class can be imported.

Airflow is loaded as a library (no logging, database or plugin setup) with a throwaway AIRFLOW_HOME,
so nothing is written anywhere. Exit status 0 when the file is valid; otherwise 1 with one line per
problem on stderr, each naming the option and the fix.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib
import io
import os
import sys
import tempfile
from collections.abc import Container, Mapping, Sequence
from typing import Any

# Sections Airflow reads without describing their options (maps of names to values).
FREE_FORM_SECTIONS = frozenset({"kubernetes_environment_variables", "celery_broker_transport_options"})


def parse_strict(path: str) -> configparser.ConfigParser:
    """The file as Airflow's parser reads it, every value interpolated (raises on any error)."""
    parser = configparser.ConfigParser(strict=True)
    with open(path, encoding="utf-8") as handle:
        parser.read_file(handle)
    for section in parser.sections():
        for key in parser[section]:
            parser.get(section, key)
    return parser


def unknown_options(parser: configparser.ConfigParser, known: Mapping[str, Any],
                    renamed_options: Container[tuple[str, str]], renamed_sections: Mapping[str, str]) -> list[str]:
    """One message per section or option that neither Airflow's description nor its renames name.

    ``known`` maps a section to its options as Airflow's configuration description does
    (``{section: {"options": {key: ...}}}``); ``renamed_options`` holds the ``(section, key)`` of options
    Airflow still reads under an old name, ``renamed_sections`` maps an old section name to the new one.
    """
    problems = []
    for section in parser.sections():
        if section in FREE_FORM_SECTIONS:
            continue
        current = renamed_sections.get(section, section)
        options = (known.get(current) or {}).get("options") or {}
        unknown = [key for key in parser[section] if key not in options and (section, key) not in renamed_options]
        if current not in known and len(unknown) == len(parser[section]):  # not an old section name either
            problems.append(f"[{section}] is not a section of this Airflow or of an installed provider: "
                            "check the section name in airflow_config")
            continue
        problems.extend(f"[{section}] {key} is not an option of this Airflow or of an installed provider: "
                        "check its name in airflow_config" for key in unknown)
    return problems


def import_class(path: str) -> type:
    """The class a dotted path names (module.Class), imported."""
    module, _separator, name = path.rpartition(".")
    value = getattr(importlib.import_module(module), name)
    if not isinstance(value, type):
        raise TypeError(f"{path} is not a class")
    return value


def _import_problems(executor_names: Sequence[Any], import_executor: Any, auth_manager: str,
                     import_string: Any) -> list[str]:
    """The executors and the auth manager that cannot be imported."""
    problems = []
    for name in executor_names:
        try:
            import_executor(name)
        except Exception as error:  # noqa: BLE001 - any failure to load is the finding
            shown = getattr(name, "module_path", None) or name
            problems.append(f"[core] executor {shown}: cannot be loaded ({error}); use LocalExecutor, "
                            "KubernetesExecutor or another executor installed in the virtualenv")
    try:
        import_string(auth_manager)
    except Exception as error:  # noqa: BLE001
        problems.append(f"[core] auth_manager {auth_manager}: cannot be imported ({error}); "
                        "set airflow_auth_manager to a class installed in the virtualenv")
    return problems


def _timezone_problems(name: str) -> list[str]:
    """The default time zone, looked up as Airflow looks it up (pendulum), unless it is the host's own."""
    if name == "system":
        return []
    try:
        import pendulum

        pendulum.timezone(name)
    except Exception as error:  # noqa: BLE001 - any failure to look it up is the finding
        return [(f"[core] default_timezone {name}: not a time zone this Airflow knows ({error}); "
                 "set airflow_timezone to an IANA name such as Asia/Seoul, or UTC")]
    return []


def airflow_problems(path: str, parser: configparser.ConfigParser) -> list[str]:
    """Load the file with Airflow itself and return what Airflow or its plugins refuse."""
    os.environ["AIRFLOW_CONFIG"] = path
    os.environ["_AIRFLOW__AS_LIBRARY"] = "1"
    try:
        from airflow.configuration import conf, retrieve_configuration_description
    except Exception as error:  # noqa: BLE001 - Airflow's own validation raises on a bad value
        return [f"Airflow refuses the configuration: {error}"]
    problems = unknown_options(parser, retrieve_configuration_description(include_providers=True),
                               conf.inversed_deprecated_options, conf.inversed_deprecated_sections)
    problems += _timezone_problems(conf.get("core", "default_timezone"))
    from airflow.executors.executor_loader import ExecutorLoader

    try:
        names = ExecutorLoader.get_executor_names(validate_teams=False)
    except Exception as error:  # noqa: BLE001
        return [*problems, f"[core] executor: {error}"]
    return problems + _import_problems(names, ExecutorLoader.import_executor_cls,
                                       conf.get("core", "auth_manager"), import_class)


def main(argv: Sequence[str]) -> int:
    parse_only = argv[:1] == ["--parse-only"]
    if parse_only:
        argv = argv[1:]
    if len(argv) != 1:
        print("usage: validate_airflow_cfg.py [--parse-only] AIRFLOW_CFG", file=sys.stderr)
        return 2
    path = os.path.abspath(argv[0])
    try:
        parser = parse_strict(path)
    except (OSError, configparser.Error) as error:
        print(f"airflow.cfg does not parse: {error}", file=sys.stderr)
        return 1
    if parse_only:
        return 0
    # What Airflow prints while it loads (deprecation notices) would bury the findings.
    with tempfile.TemporaryDirectory(prefix="airflow-validate-") as home, contextlib.redirect_stderr(io.StringIO()):
        os.environ["AIRFLOW_HOME"] = home
        problems = airflow_problems(path, parser)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
