"""playbooks/generate_secrets.yml writes a valid, encrypted set once and never overwrites it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from ansible_collections.airflow_deploy.cluster.plugins.module_utils.fernet import is_fernet_key

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False, timeout=300)


def test_generates_encrypted_secrets_once(tmp_path: Path) -> None:
    env = os.environ | {"ANSIBLE_NOCOLOR": "1"}  # conftest.py put the collection on ANSIBLE_COLLECTIONS_PATH
    password = tmp_path / "vault-pass"
    password.write_text("unit-test-vault-password\n")
    target = tmp_path / "group_vars" / "all" / "vault.yml"
    playbook = [str(BIN / "ansible-playbook"), str(REPO / "playbooks" / "generate_secrets.yml"),
                "-e", f"airflow_secrets_file={target}", "-e", f"airflow_vault_password_file={password}"]

    first = _run(*playbook, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert target.read_text().startswith("$ANSIBLE_VAULT;")
    assert oct(target.stat().st_mode & 0o777) == "0o600"

    view = _run(str(BIN / "ansible-vault"), "view", "--vault-password-file", str(password), str(target), env=env)
    assert view.returncode == 0, view.stderr
    secrets = yaml.safe_load(view.stdout)
    assert is_fernet_key(secrets["airflow_fernet_key"])
    assert len(secrets["airflow_api_secret_key"]) == 64 and len(secrets["airflow_jwt_secret"]) == 64
    assert len(secrets["airflow_metadata_db_password"]) == 32 and len(secrets["airflow_metadata_db_admin_password"]) == 32
    assert len(set(secrets.values())) == len(secrets) == 5
    for value in secrets.values():
        assert value not in first.stdout

    before = target.read_bytes()
    second = _run(*playbook, env=env)
    assert second.returncode != 0
    assert "exists. Secrets are generated once per cluster" in " ".join(second.stdout.split())
    assert target.read_bytes() == before


def test_the_installed_collection_writes_a_relative_path_under_the_working_directory(tmp_path: Path) -> None:
    """As a Galaxy user runs it: the built tarball installed into a fresh collections path, the playbooks
    called by their FQCN from the user's directory with relative paths: init_inventory copies the example
    inventory there (and refuses to write into it again), generate_secrets writes the vault file into it,
    not into the installed collection, and the inventory reads with its secrets."""
    env = os.environ | {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections"),
                        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "true"}  # community collections of the `ansible` package
    build = _run(str(BIN / "ansible-galaxy"), "collection", "build", str(REPO), "--output-path", str(tmp_path),
                 env=env)
    assert build.returncode == 0, build.stdout + build.stderr
    [tarball] = tmp_path.glob("airflow_deploy-cluster-*.tar.gz")
    install = _run(str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p",
                   str(tmp_path / "collections"), str(tarball), env=env)
    assert install.returncode == 0, install.stdout + install.stderr
    installed = tmp_path / "collections" / "ansible_collections" / "airflow_deploy" / "cluster"
    assert (installed / "playbooks" / "generate_secrets.yml").is_file()

    work = tmp_path / "my-airflow"
    work.mkdir()
    (work / "vault-pass").write_text("unit-test-vault-password\n")
    init = ["ansible-playbook", "airflow_deploy.cluster.init_inventory", "-e", "airflow_inventory_dir=inventories/production"]
    copied = subprocess.run([str(BIN / init[0]), *init[1:]], capture_output=True, text=True, env=env, cwd=work,
                            check=False, timeout=300)
    assert copied.returncode == 0, copied.stdout + copied.stderr
    assert (work / "inventories" / "production" / "hosts.yml").read_bytes() == (
        REPO / "inventories" / "production" / "hosts.yml").read_bytes()
    assert (work / "inventories" / "production" / "group_vars" / "all" / "vault.yml.example").is_file()
    again = subprocess.run([str(BIN / init[0]), *init[1:]], capture_output=True, text=True, env=env, cwd=work,
                           check=False, timeout=300)
    assert again.returncode != 0 and "airflow_inventory_dir 'inventories/production'" in again.stdout
    assert "exists; nothing was copied" in " ".join(again.stdout.split())

    result = subprocess.run(
        [str(BIN / "ansible-playbook"), "airflow_deploy.cluster.generate_secrets",
         "-e", "airflow_secrets_file=inventories/production/group_vars/all/vault.yml",
         "-e", "airflow_vault_password_file=vault-pass"],
        capture_output=True, text=True, env=env, cwd=work, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    target = work / "inventories" / "production" / "group_vars" / "all" / "vault.yml"
    assert target.read_text().startswith("$ANSIBLE_VAULT;")
    assert f"Wrote {target} (vault-encrypted)" in result.stdout
    assert not list(installed.rglob("vault.yml")), "a secrets file landed inside the installed collection"
    # The copied inventory with its generated secrets is what site.yml reads: the hosts and the vaulted values.
    listed = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", "inventories/production", "--vault-password-file", "vault-pass",
         "--host", "airflow1"], capture_output=True, text=True, env=env, cwd=work, check=False, timeout=300)
    assert listed.returncode == 0, listed.stderr
    host_vars = yaml.safe_load(listed.stdout)
    assert host_vars["ansible_host"] == "10.0.0.120" and is_fernet_key(host_vars["airflow_fernet_key"])
