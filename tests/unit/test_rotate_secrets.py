"""playbooks/rotate_secrets.yml on the controller alone (an inventory without Airflow hosts, so its
site.yml runs change nothing): the secrets file ends in step 3, vault-encrypted, with every other
entry kept, and a rotation is refused while a Fernet key change is under way. What the hosts do with
each step's values is checked in the control_plane scenario (tests/test_api_server.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.fernet import is_fernet_key

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCALHOST_WARNING": "0"}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=ENV, check=False, timeout=300)


def _secrets(target: Path, password: Path) -> dict[str, Any]:
    view = _run(str(BIN / "ansible-vault"), "view", "--vault-password-file", str(password), str(target))
    assert view.returncode == 0, view.stderr
    return dict(yaml.safe_load(view.stdout))


def _rotate(target: Path, password: Path) -> subprocess.CompletedProcess[str]:
    return _run(str(BIN / "ansible-playbook"), "-i", "localhost,", str(REPO / "playbooks" / "rotate_secrets.yml"),
                "-e", f"airflow_secrets_file={target}", "-e", f"airflow_vault_password_file={password}")


def test_the_secrets_file_ends_rotated_and_keeps_its_other_entries(tmp_path: Path) -> None:
    password = tmp_path / "vault-pass"
    password.write_text("unit-test-vault-password\n")
    target = tmp_path / "vault.yml"
    generated = _run(str(BIN / "ansible-playbook"), str(REPO / "playbooks" / "generate_secrets.yml"),
                     "-e", f"airflow_secrets_file={target}", "-e", f"airflow_vault_password_file={password}")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    before = _secrets(target, password)

    rotated = _rotate(target, password)
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert target.read_text().startswith("$ANSIBLE_VAULT;")
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    after = _secrets(target, password)
    assert after["airflow_jwt_secret"] != before["airflow_jwt_secret"] and len(after["airflow_jwt_secret"]) == 64
    assert after["airflow_jwt_accepted_secrets"] == [before["airflow_jwt_secret"]]
    assert is_fernet_key(after["airflow_fernet_key"]) and after["airflow_fernet_key"] != before["airflow_fernet_key"]
    assert after["airflow_fernet_accepted_keys"] == []
    others = {name: value for name, value in before.items() if name not in ("airflow_jwt_secret", "airflow_fernet_key")}
    assert others.items() <= after.items()
    for value in (*before.values(), after["airflow_jwt_secret"], after["airflow_fernet_key"]):
        assert value not in rotated.stdout

    # The next rotation replaces the accepted JWT secret.
    again = _rotate(target, password)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _secrets(target, password)["airflow_jwt_accepted_secrets"] == [after["airflow_jwt_secret"]]


def test_a_rotation_is_refused_while_a_fernet_key_change_is_under_way(tmp_path: Path) -> None:
    password = tmp_path / "vault-pass"
    password.write_text("unit-test-vault-password\n")
    target = tmp_path / "vault.yml"
    plain = tmp_path / "plain.yml"
    plain.write_text(yaml.safe_dump({"airflow_jwt_secret": "j" * 64, "airflow_fernet_key": "A" * 43 + "=",
                                     "airflow_fernet_accepted_keys": ["B" * 43 + "="]}))
    encrypted = _run(str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(password), "--output",
                     str(target), str(plain))
    assert encrypted.returncode == 0, encrypted.stderr
    content = target.read_bytes()
    refused = _rotate(target, password)
    assert refused.returncode != 0
    assert "airflow_fernet_accepted_keys is set, so a Fernet key change is under way" in " ".join(refused.stdout.split())
    assert target.read_bytes() == content
    assert "j" * 64 not in refused.stdout
