#!/usr/bin/env bash
# Resolve the test constraints and build the offline wheelhouse with the test image's own Python,
# inside a throwaway container of that image (so markers such as python_full_version match).
#
#   tools/wheelhouse.sh constraints IMAGE CONSTRAINTS_FILE REQUIREMENT [CAP...] resolve pins from PyPI
#                                       (each CAP, such as 'celery<5.7', bounds the resolution only)
#   tools/wheelhouse.sh build IMAGE CONSTRAINTS_FILE REQUIREMENT WHEEL_DIR    download/build every wheel
set -euo pipefail

usage="usage: wheelhouse.sh constraints IMAGE CONSTRAINTS_FILE REQUIREMENT [CAP...] | build IMAGE CONSTRAINTS_FILE REQUIREMENT WHEEL_DIR"
cmd=${1:?$usage}
image=${2:?$usage}
constraints=$(realpath "${3:?$usage}")
requirement=${4:?$usage}

# The test image carries no pip; a venv of the image's own Python gives one (Debian: python3
# with python3-venv; Rocky 8: python3.12 from AppStream, as the role uses). The script runs in
# the container, so $python expands there, not here.
# shellcheck disable=SC2016
prologue='set -euo pipefail
if command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq python3-venv >/dev/null
  python=python3
else
  python=python3.12
fi
$python -m venv /tmp/pip && /tmp/pip/bin/pip install -q --upgrade pip'

run() {
  docker run --rm --network bridge -e "REQ=$requirement" -e "CAPS=${caps:-}" "$@"
}

case "$cmd" in
  constraints)
    out_dir=$(dirname "$constraints")
    caps="${*:5}"
    run -v "$out_dir:/out" "$image" bash -c "$prologue
printf '%s\\n' \$CAPS > /tmp/caps.txt
/tmp/pip/bin/pip install -q --dry-run --ignore-installed --report /tmp/report.json -c /tmp/caps.txt \"\$REQ\"
/tmp/pip/bin/python - <<'PY' > /out/$(basename "$constraints").new
import json, sys
report = json.load(open('/tmp/report.json'))
pins = sorted((i['metadata']['name'].lower(), i['metadata']['version']) for i in report['install'])
print('# Pins for', __import__('os').environ['REQ'], 'on CPython', sys.version.split()[0], '(the test image).')
print('# The test wheelhouse is built against this file and test converges install with it, so runs')
print('# are offline and repeatable. Regenerate with make constraints (resolves from PyPI).')
if __import__('os').environ['CAPS']:
    print('# Capped (see the Makefile):', __import__('os').environ['CAPS'])
for name, version in pins:
    print(f'{name}=={version}')
PY"
    mv "$out_dir/$(basename "$constraints").new" "$constraints"
    echo "wrote $constraints ($(grep -vc '^#' "$constraints") pins)"
    ;;
  build)
    wheel_dir=${5:?$usage}
    mkdir -p "$wheel_dir"
    wheel_dir=$(realpath "$wheel_dir")
    run -v "$wheel_dir:/wheels" -v "$constraints:/constraints.txt:ro" "$image" bash -c "$prologue
/tmp/pip/bin/pip wheel -q --wheel-dir /wheels -c /constraints.txt \"\$REQ\"
cp /constraints.txt /wheels/constraints.txt"
    echo "wheelhouse $wheel_dir: $(find "$wheel_dir" -name '*.whl' | wc -l) wheels"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
