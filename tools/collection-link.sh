#!/usr/bin/env bash
# Put this repository on an Ansible collections path as airflow_deploy.cluster, without Galaxy:
# .cache/collections/ansible_collections/airflow_deploy/cluster -> the repository.
# Run by `make collection-link` and by molecule's dependency step (.config/molecule/config.yml),
# whose ansible.cfg has .cache/collections as its collections path.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/.cache/collections/ansible_collections/airflow_deploy"
link="$root/.cache/collections/ansible_collections/airflow_deploy/cluster"
# Replaced only when it points elsewhere: scenarios running side by side each call this script, and
# a link replaced under a running playbook would be missing for an instant.
[ "$(readlink "$link" 2>/dev/null)" = "$root" ] || ln -sfn "$root" "$link"
