#!/usr/bin/env bash
# Build the Debian 12 systemd test image without a registry: debootstrap a minimal rootfs,
# trust the build host's CA bundle, and `docker import` it. The rootfs tarball is cached so
# an engine that lost its images re-imports in seconds instead of re-bootstrapping.
#
#   tools/images/debian12.sh IMAGE_TAG CACHE_DIR
set -euo pipefail

tag=${1:?usage: debian12.sh IMAGE_TAG CACHE_DIR}
cache=${2:?usage: debian12.sh IMAGE_TAG CACHE_DIR}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball="$cache/${tag//[:\/]/_}.tar"
packages=systemd,systemd-sysv,systemd-timesyncd,dbus,python3,python3-apt,sudo,ca-certificates,iproute2,procps,curl,gnupg

if [ ! -s "$tarball" ]; then
  if ! command -v debootstrap >/dev/null; then
    if [ -r /etc/debian_version ] && [ "$(id -u)" -eq 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
    else
      echo "debootstrap is missing: install it (apt-get install debootstrap) or build as root on Debian" >&2
      exit 1
    fi
  fi
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/airflow-deploy-rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror"

  cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES
  # Trust the build host's extra CAs (corporate or intercepting proxies) inside the image.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
    chroot "$rootfs" update-ca-certificates >/dev/null
  fi
  # A container has no consoles, udev or network management of its own.
  for unit in getty@tty1.service console-getty.service systemd-udevd.service \
              systemd-networkd.service systemd-resolved.service \
              apt-daily.timer apt-daily-upgrade.timer; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  : > "$rootfs/etc/machine-id"
  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin

  mkdir -p "$cache"
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
fi

docker import \
  --change 'ENV container=docker' \
  --change 'CMD ["/lib/systemd/systemd"]' \
  "$tarball" "$tag" >/dev/null
echo "imported $tag from $tarball"
