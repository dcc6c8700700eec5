"""Unit tests of the airflow_deploy.cluster.files module and its action plugin.

The module runs as Ansible runs it on a target: a separate Python process reading its arguments
from a JSON file, so the tests see exactly what a play sees (changed, the return values, the
no_log masking, the failure messages).
"""

from __future__ import annotations

import base64
import grp
import hashlib
import json
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import module_runner
import pytest
from ansible_collections.airflow_deploy.cluster.plugins.action.files import build_diffs, decode_before
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.atomic_file import validation_argv

MODULE = module_runner.MODULES / "files.py"
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run_module(files: list[dict[str, Any]], *, check: bool = False,
               diff: bool = False) -> dict[str, Any]:
    """Run the module on the given entries; its JSON result."""
    return module_runner.run_module("files", {"files": files, "_ansible_check_mode": check, "_ansible_diff": diff})


def entry(path: Path, content: str | None = None, mode: str = "0640", **extra: Any) -> dict[str, Any]:
    """A file entry (or a directory entry when content is None) owned by the test's user."""
    item: dict[str, Any] = {"path": str(path), "owner": OWNER, "group": GROUP, "mode": mode, **extra}
    if content is None:
        item["state"] = "directory"
    else:
        item["content"] = content
    return item


def mode_of(path: Path) -> str:
    return f"{stat.S_IMODE(path.stat().st_mode):04o}"


def test_creates_directories_then_files_and_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "etc" / "app"
    files = [entry(root, mode="0750"), entry(root / "app.cfg", "[core]\nx = 1\n"),
             entry(root / "secret.env", "TOKEN=s3cr3t\n", mode="0600", secret=True)]

    first = run_module(files)
    assert first["changed"] is True
    assert first["changed_paths"] == [str(root), str(root / "app.cfg"), str(root / "secret.env")]
    assert (root / "app.cfg").read_text() == "[core]\nx = 1\n"
    assert (mode_of(root), mode_of(root / "app.cfg"), mode_of(root / "secret.env")) == ("0750", "0640", "0600")

    second = run_module(files)
    assert second["changed"] is False
    assert second["changed_paths"] == []


def test_rewrites_only_the_file_whose_content_differs(tmp_path: Path) -> None:
    files = [entry(tmp_path / "a", "one\n"), entry(tmp_path / "b", "two\n")]
    run_module(files)
    inode_b = (tmp_path / "b").stat().st_ino

    files[0]["content"] = "one, changed\n"
    result = run_module(files)
    assert result["changed_paths"] == [str(tmp_path / "a")]
    assert (tmp_path / "a").read_text() == "one, changed\n"
    assert (tmp_path / "b").stat().st_ino == inode_b  # untouched, not rewritten


def test_a_mode_change_alone_is_a_change(tmp_path: Path) -> None:
    files = [entry(tmp_path / "a", "x\n", mode="0644")]
    run_module(files)
    files[0]["mode"] = "0600"
    assert run_module(files)["changed_paths"] == [str(tmp_path / "a")]
    assert mode_of(tmp_path / "a") == "0600"


def test_a_replaced_file_keeps_the_mode_the_entry_leaves_out(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old\n")
    target.chmod(0o640)
    result = run_module([{"path": str(target), "content": "new\n"}])
    assert result["changed_paths"] == [str(target)]
    assert (target.read_text(), mode_of(target)) == ("new\n", "0640")


def test_a_new_file_without_a_mode_follows_the_umask(tmp_path: Path) -> None:
    umask = os.umask(0o027)
    try:
        run_module([{"path": str(tmp_path / "f"), "content": "x\n"}])
    finally:
        os.umask(umask)
    assert mode_of(tmp_path / "f") == "0640"


SPY = """
import os, runpy, stat, sys
module, args_file, log = sys.argv[1:4]
real_replace = os.replace
def replace(src, dst):
    with open(log, "a") as handle:
        handle.write(f"{stat.S_IMODE(os.stat(src).st_mode):04o}\\n")
    real_replace(src, dst)
os.replace = replace
sys.argv = [module, args_file]
runpy.run_path(module, run_name="__main__")
"""


def test_a_new_secret_has_its_mode_when_it_appears(tmp_path: Path) -> None:
    # os.replace is where the file appears at its path: record the mode it has at that moment.
    log = tmp_path / "modes.log"
    args_file = tmp_path / "args.json"
    secret = entry(tmp_path / "s.env", "TOKEN=x\n", mode="0600", secret=True)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"files": [secret]}}))
    umask = os.umask(0o022)
    try:
        subprocess.run([sys.executable, "-c", SPY, str(MODULE), str(args_file), str(log)], check=True,
                       capture_output=True)
    finally:
        os.umask(umask)
    assert log.read_text().split() == ["0600"]
    assert mode_of(tmp_path / "s.env") == "0600"


def test_checksums_are_those_of_the_wanted_content(tmp_path: Path) -> None:
    content = "numpy==2.1.0\nkey = ü\n"
    result = run_module([entry(tmp_path / "c.txt", content)])
    assert result["checksums"] == {str(tmp_path / "c.txt"): hashlib.sha1(content.encode()).hexdigest()}


def test_check_mode_reports_without_writing(tmp_path: Path) -> None:
    root = tmp_path / "new"
    result = run_module([entry(root, mode="0755"), entry(root / "f", "x\n")], check=True)
    assert result["changed"] is True
    assert result["changed_paths"] == [str(root), str(root / "f")]
    assert not root.exists()


def test_check_mode_sees_a_pending_mode_change(tmp_path: Path) -> None:
    target = tmp_path / "f"
    run_module([entry(target, "x\n", mode="0644")])
    result = run_module([entry(target, "x\n", mode="0600")], check=True)
    assert result["changed_paths"] == [str(target)]
    assert mode_of(target) == "0644"


def test_diff_returns_the_old_content_of_changed_non_secret_files_only(tmp_path: Path) -> None:
    files = [entry(tmp_path / "plain", "old\n"), entry(tmp_path / "secret", "old-token\n", secret=True)]
    run_module(files)
    files[0]["content"], files[1]["content"] = "new\n", "new-token\n"
    result = run_module(files, diff=True)
    assert list(result["before_base64"]) == [str(tmp_path / "plain")]
    assert decode_before(result["before_base64"][str(tmp_path / "plain")]) == "old\n"
    assert "old-token" not in json.dumps(result)


def test_diff_shows_an_old_content_that_contains_the_new_one(tmp_path: Path) -> None:
    # Ansible masks every no_log value in a module's output: the new content inside the old one
    # would come back as ******** if the old content were returned as plain text.
    new = "[core]\nexecutor = LocalExecutor\n"
    target = tmp_path / "airflow.cfg"
    target.write_text(new + "# drift\n")
    result = run_module([entry(target, new)], diff=True)
    diffs = build_diffs([entry(target, new)], result["before_base64"])
    assert diffs[0]["before"] == new + "# drift\n"
    assert diffs[0]["after"] == new


def test_decode_before_survives_a_masked_value() -> None:
    assert decode_before("aGVsbG8=") == "hello"
    assert decode_before("aGVs********") == "(the old content cannot be shown)\n"


def test_contents_are_masked_in_the_invocation(tmp_path: Path) -> None:
    result = run_module([entry(tmp_path / "s", "PASSWORD=hunter2-long-value\n", secret=True)])
    assert "hunter2-long-value" not in json.dumps(result)


def test_a_file_in_a_missing_directory_fails_with_the_fix(tmp_path: Path) -> None:
    result = run_module([entry(tmp_path / "missing" / "f", "x\n")])
    assert result["failed"] is True
    assert "state=directory entry before this one" in result["msg"]


def test_a_directory_where_a_file_is_wanted_fails(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    result = run_module([entry(tmp_path / "d", "x\n")])
    assert result["failed"] is True
    assert "is a directory, not a file" in result["msg"]


def test_a_file_where_a_directory_is_wanted_fails(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    result = run_module([entry(tmp_path / "f")])
    assert result["failed"] is True
    assert "is not a directory" in result["msg"]


def test_a_file_entry_needs_content(tmp_path: Path) -> None:
    result = run_module([{"path": str(tmp_path / "f")}])
    assert result["failed"] is True
    assert "content" in result["msg"]


def test_no_temporary_file_is_left_beside_the_destination(tmp_path: Path) -> None:
    run_module([entry(tmp_path / "f", "x\n")])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_build_diffs_pairs_old_and_new_content_and_skips_secrets() -> None:
    files = [{"path": "/a", "content": "new a\n"}, {"path": "/b", "content": "new b\n", "secret": True},
             {"path": "/c", "content": "same\n"}, {"path": "/d", "state": "directory"}]
    encoded = {path: base64.b64encode(text.encode()).decode() for path, text in (("/a", "old a\n"), ("/b", "old b\n"))}
    diffs = build_diffs(files, encoded)
    assert diffs == [{"before_header": "/a", "after_header": "/a", "before": "old a\n", "after": "new a\n"}]


def validator(tmp_path: Path) -> str:
    """A validate command that records the path it checks and accepts only content starting with 'ok'."""
    script = tmp_path / "validator.sh"
    script.write_text(f"#!/bin/sh\necho \"$1\" >> {tmp_path}/validated\n"
                      "head -c 2 \"$1\" | grep -q '^ok' && exit 0\n"
                      "echo \"bad content in $1\" >&2\nexit 3\n")
    script.chmod(0o755)
    return f"{script} %s"


def validated(tmp_path: Path) -> list[str]:
    """The paths the validator checked, in order."""
    log = tmp_path / "validated"
    return log.read_text().splitlines() if log.exists() else []


def test_validate_passes_and_the_file_is_written(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    conf.mkdir()
    result = run_module([entry(conf / "app.cfg", "ok = 1\n", validate=validator(tmp_path))])
    assert result["changed_paths"] == [str(conf / "app.cfg")]
    assert (conf / "app.cfg").read_text() == "ok = 1\n"
    [checked] = validated(tmp_path)
    assert Path(checked).parent == conf and Path(checked).name.startswith(".airflow-deploy-")
    assert sorted(p.name for p in conf.iterdir()) == ["app.cfg"]


def test_validate_fails_and_the_old_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "app.cfg"
    target.write_text("ok = old\n")
    inode = target.stat().st_ino
    result = run_module([entry(target, "broken\n", validate=validator(tmp_path))])
    assert result["failed"] is True
    assert str(target) in result["msg"] and "bad content in" in result["msg"] and "rc 3" in result["msg"]
    assert (target.read_text(), target.stat().st_ino) == ("ok = old\n", inode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.cfg", "validated", "validator.sh"]


def test_validate_output_is_not_shown_for_a_secret(tmp_path: Path) -> None:
    result = run_module([entry(tmp_path / "s.env", "TOKEN=x\n", secret=True, validate=validator(tmp_path))])
    assert result["failed"] is True
    assert "not shown" in result["msg"] and "bad content" not in result["msg"]


def test_validate_does_not_run_when_the_content_is_unchanged(tmp_path: Path) -> None:
    target = tmp_path / "app.cfg"
    target.write_text("broken but current\n")
    result = run_module([entry(target, "broken but current\n", validate=validator(tmp_path))])
    assert result.get("failed") is not True
    assert validated(tmp_path) == []


def test_validate_does_not_run_in_check_mode(tmp_path: Path) -> None:
    target = tmp_path / "app.cfg"
    target.write_text("ok = old\n")
    result = run_module([entry(target, "broken\n", validate=validator(tmp_path))], check=True)
    assert result["changed_paths"] == [str(target)]
    assert validated(tmp_path) == []
    assert target.read_text() == "ok = old\n"


def test_validate_without_placeholder_fails_before_anything_is_written(tmp_path: Path) -> None:
    files = [entry(tmp_path / "first", "x\n"), entry(tmp_path / "app.cfg", "ok\n", validate="true")]
    result = run_module(files)
    assert result["failed"] is True
    assert str(tmp_path / "app.cfg") in result["msg"] and "must contain %s" in result["msg"]
    assert not (tmp_path / "first").exists()


@pytest.mark.parametrize(("item", "message"), [
    ({"state": "directory", "validate": "true %s"}, "files only"),
    ({"content": "x\n", "validate": "check '%s"}, "cannot be split"),
])
def test_unusable_validate_commands_fail_with_the_reason(tmp_path: Path, item: dict[str, Any], message: str) -> None:
    result = run_module([{"path": str(tmp_path / "f"), **item}])
    assert result["failed"] is True
    assert message in result["msg"]


def test_validation_argv_splits_without_a_shell_and_substitutes_the_path() -> None:
    assert validation_argv("haproxy -c -f %s", "/etc/haproxy/.tmp") == ["haproxy", "-c", "-f", "/etc/haproxy/.tmp"]
    assert validation_argv("check --file='%s' 'a b'", "/t") == ["check", "--file=/t", "a b"]
