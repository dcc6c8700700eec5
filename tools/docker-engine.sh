#!/usr/bin/env bash
# Make sure a Docker engine answers. Use the reachable one; on a Debian/Ubuntu host where none
# runs (CI machines have only the client and no systemd), install docker.io and start dockerd.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ ! -r /etc/debian_version ] || [ "$(id -u)" -ne 0 ]; then
  cat >&2 <<MSG
No Docker engine is reachable (docker info failed).
Start one before running the tests: 'sudo systemctl start docker', Docker Desktop, or set
DOCKER_HOST to a reachable engine. (Only a Debian-family host run as root gets one installed
and started automatically.)
MSG
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "installing docker.io (no engine found)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
log=${DOCKERD_LOG:-/var/log/dockerd.log}
echo "starting dockerd (log: $log)" >&2
nohup dockerd >"$log" 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see $log" >&2
tail -n 20 "$log" >&2
exit 1
