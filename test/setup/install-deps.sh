#!/usr/bin/env bash
# Installs what the suites drive for real: a Docker engine with its own
# containerd, the CNCF distribution registry, skopeo, htpasswd (bcrypt),
# openssl, strace and fatrace (fanotify: sees io_uring writes strace cannot),
# util-linux's unshare/nsenter and ip (test/e2e, test/cli), qemu-user with an
# arm64 libc to run the arm64 executable (test/sea), tinyproxy, a real HTTP
# proxy for the proxy tests (test/cli, test/e2e), and debootstrap for the dev
# container Feature's offline base image (test/feature).
# Idempotent: it asks apt for nothing when everything is already there.
# Non-interactive; needs root (as CI and the developers' machines are).
set -euo pipefail

# command → Debian package that provides it
declare -A wanted=(
  [dockerd]=docker.io
  [containerd]=containerd
  [runc]=runc
  [docker-registry]=docker-registry
  [skopeo]=skopeo
  [htpasswd]=apache2-utils
  [openssl]=openssl
  [strace]=strace
  [fatrace]=fatrace
  [unshare]=util-linux
  [nsenter]=util-linux
  [ip]=iproute2
  [qemu-aarch64]=qemu-user
  [tinyproxy]=tinyproxy
  [debootstrap]=debootstrap
)

missing=()
for cmd in "${!wanted[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/usr/bin/$cmd" ]; then
    missing+=("${wanted[$cmd]}")
  fi
done

# The arm64 executable's loader and C++ runtime, for qemu-aarch64.
if [ ! -e /lib/ld-linux-aarch64.so.1 ] || [ ! -e /usr/lib/aarch64-linux-gnu/libstdc++.so.6 ]; then
  missing+=(libc6:arm64 libstdc++6:arm64)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "install-deps: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A package whose service would start (docker.io, docker-registry) must not:
  # the suite starts its own daemons. Keep an existing policy-rc.d as it is.
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_added=1
  fi
  trap 'if [ "$policy_added" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  if [[ " ${packages[*]} " == *":arm64 "* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    apt-get update -q </dev/null
  fi
  apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  if ! apt-get install "${apt_opts[@]}" "${packages[@]}" </dev/null; then
    apt-get update -q </dev/null
    apt-get install "${apt_opts[@]}" "${packages[@]}" </dev/null
  fi
fi

# dockerd's daemon directory: the suite bind-mounts a private one over it
# (inside dockerd's own mount namespace), so the mount point must exist.
mkdir -p /etc/docker

echo "install-deps: ok ($(dockerd --version 2>/dev/null | head -n1); $(docker-registry --version 2>/dev/null | head -n1); skopeo $(skopeo --version 2>/dev/null | awk '{print $3}'))"
