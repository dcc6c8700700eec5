#!/usr/bin/env bash
# Run ansible-test on this collection:  tools/ansible-test.sh sanity|units [ansible-test options]
#
# ansible-test must run from a directory named ansible_collections/<namespace>/<name>, and it
# resolves the working directory (a symlink to the repository does not do) and lists the files
# with git from the enclosing repository. So the files git knows of (tracked, and untracked ones
# that are not ignored) are copied into such a tree in a temporary directory outside the
# repository, and ansible-test runs there; the copy is removed afterwards.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/airflow-deploy-ansible-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/airflow_deploy/cluster"
mkdir -p "$tree"

# A file deleted from the work tree but still in the index is skipped with a warning.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) \
  | (cd "$repo" && tar --null --files-from=- --ignore-failed-read -cf -) \
  | tar -xf - -C "$tree"

# ansible-test bootstraps pip into each sanity test's virtualenv with a get-pip.py it downloads
# from ci-files.testing.ansible.com (unreachable from CI, which reaches only PyPI); it takes a
# script already in its cache instead (a downloaded one is left alone). Ours installs the bundled
# pip and then the pinned packages from PyPI. 24.2 is the pip ansible-core 2.19's ansible-test pins.
get_pip="$HOME/.ansible/test/cache/get_pip_24_2.py"
if [ ! -e "$get_pip" ]; then
  mkdir -p "$(dirname "$get_pip")"
  cp "$repo/tools/ansible_test_get_pip.py" "$get_pip"
fi

cd "$tree"
ansible-test "$@"
