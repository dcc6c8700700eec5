#!/usr/bin/env bash
# The local HA lab (DESIGN.md section 9), run by `make lab` and `make lab-down` (which build the
# image and the wheelhouse and export the harness environment first).
#
#   tools/lab.sh up     containers airflow1-3, airflow-lb, airflow-db, airflow-s3 on the network
#                       airflow-lab; secrets in .lab/ (vault); services (molecule/resources/prepare.yml);
#                       playbooks/site.yml; .lab/lab.env for `source .lab/lab.env`
#   tools/lab.sh down   remove the containers, the network and .lab/
#
# LAB_EXECUTOR=celery (make lab EXECUTOR=celery) adds inventories/lab-celery: a Celery worker
# (airflow-worker1) and its Redis broker (airflow-redis). The lab remembers it (.lab/executor), so a
# later `up` converges the same lab, and `down` removes every container either kind may have.
# Re-running `up` on a running lab converges it again (the secrets are generated only once).
# The seconds of each step go to .lab/timings.env (read by tools/bench_cluster.py).
set -euo pipefail
cd "$(dirname "$0")/.."

LAB_DIR=.lab
# The secrets of the lab: generated once into a vault file, never committed (.lab/ is git-ignored).
SECRETS=(-e "@$LAB_DIR/secrets.yml" --vault-password-file "$LAB_DIR/vault-password")
export ANSIBLE_CALLBACK_RESULT_FORMAT=${ANSIBLE_CALLBACK_RESULT_FORMAT:-yaml}

step() {  # step <name> <command...>: run it, record its duration in seconds
  local name=$1 start end
  shift
  echo "=== lab: $name" >&2
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  echo "LAB_${name^^}_SECONDS=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')" >>"$LAB_DIR/timings.env"
}

secrets() {
  if [ ! -s "$LAB_DIR/vault-password" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$LAB_DIR/vault-password")
  fi
  if [ ! -e "$LAB_DIR/secrets.yml" ]; then
    ansible-playbook -i inventories/lab playbooks/generate_secrets.yml \
      -e "airflow_secrets_file=$PWD/$LAB_DIR/secrets.yml" -e "airflow_vault_password_file=$PWD/$LAB_DIR/vault-password"
  fi
}

wait_for_ui() {  # the LB answers on the published port
  local url=$1
  for _ in $(seq 1 60); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$url/api/v2/version" 2>/dev/null; then
      return 0
    fi
    sleep 2
  done
  echo "the lab's load balancer does not answer at $url/api/v2/version" >&2
  return 1
}

up() {
  : "${AIRFLOW_DEPLOY_TEST_IMAGE:?run this through make lab}" "${AIRFLOW_DEPLOY_WHEELHOUSE:?run this through make lab}"
  mkdir -p "$LAB_DIR"
  chmod 0700 "$LAB_DIR"
  local executor=${LAB_EXECUTOR:-$(cat "$LAB_DIR/executor" 2>/dev/null || echo local)}
  case $executor in
    local | celery) ;;
    *) echo "EXECUTOR must be local or celery, not '$executor'" >&2; exit 2 ;;
  esac
  echo "$executor" >"$LAB_DIR/executor"
  # The base inventory, plus inventories/lab-<executor> for another executor than LocalExecutor.
  local inventory=(-i inventories/lab)
  if [ "$executor" != local ]; then inventory+=(-i "inventories/lab-$executor"); fi
  : >"$LAB_DIR/timings.env"
  step secrets secrets
  step containers ansible-playbook "${inventory[@]}" tools/lab.yml -e lab_action=up
  step services ansible-playbook "${inventory[@]}" molecule/resources/prepare.yml "${SECRETS[@]}"
  step site ansible-playbook "${inventory[@]}" playbooks/site.yml "${SECRETS[@]}"
  step env ansible-playbook "${inventory[@]}" tools/lab.yml -e lab_action=env "${SECRETS[@]}"
  # shellcheck source=/dev/null
  url=$(source "$LAB_DIR/lab.env" && echo "$AIRFLOW_URL")
  wait_for_ui "$url"
  cat <<MSG

The Airflow lab is up: $url  (user and password: $LAB_DIR/lab.env)
  source $LAB_DIR/lab.env
  aws s3 cp my_dag.py "s3://\$DAGS_BUCKET/\$DAGS_PREFIX/"
  curl -s "\$AIRFLOW_URL/api/v2/version"
Remove it with: make lab-down
MSG
}

down() {
  ansible-playbook -i inventories/lab -i inventories/lab-celery tools/lab.yml -e lab_action=down
  rm -rf "$LAB_DIR"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
