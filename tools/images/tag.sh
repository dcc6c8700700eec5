#!/usr/bin/env bash
# Print the tag of a test image: it follows the recipe's content, so a changed recipe builds a new
# image. Used by the Makefile and by molecule's create step (molecule/resources/create.yml).
#
#   tools/images/tag.sh [debian12|rocky8]
set -euo pipefail

os=${1:-debian12}
dir=$(dirname "$0")
if [ "$os" = debian12 ]; then
  recipe=$dir/debian12.sh
else
  recipe=$dir/$os.Containerfile
fi
echo "airflow-deploy/$os-systemd:$(sha256sum "$recipe" | cut -c1-12)"
