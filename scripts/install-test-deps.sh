#!/usr/bin/env bash
# Installs the Debian packages the test servers need (see packages/test-services/README.md):
#   ceph-mon ceph-osd radosgw  -> throwaway S3 (radosgw) cluster on 127.0.0.1
#   openssh-server             -> sshd for SFTP tests
#   python3-httpx              -> the PutPlace-style Python client run against the dedup server (Debian python3)
#   curl                       -> apps/api's examples/quickstart.sh, run by its tests
#   bsdutils                   -> util-linux `script`: a real pseudo-terminal for the CLI's terminal output tests
#                                 (essential on Debian, so normally present already)
# Idempotent and non-interactive: installs only what is missing, runs `apt-get update` only when something is.
# Run as root (or with sudo available).
set -euo pipefail

PACKAGES=(ceph-mon ceph-osd radosgw openssh-server python3-httpx curl bsdutils)
# Commands each package brings (directly or through its dependencies ceph-base / ceph-common): a package counts
# as installed only if dpkg says so AND these commands exist.
declare -A COMMANDS=(
  [ceph-mon]="ceph-mon monmaptool ceph"
  [ceph-osd]="ceph-osd"
  [radosgw]="radosgw radosgw-admin"
  [openssh-server]="/usr/sbin/sshd"
  [python3-httpx]="/usr/bin/python3"
  [curl]="curl"
  [bsdutils]="/usr/bin/script"
)

fail() {
  echo "install-test-deps: ERROR: $*" >&2
  exit 1
}

is_installed() {
  local pkg=$1
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || return 1
  local cmd
  for cmd in ${COMMANDS[$pkg]}; do
    command -v "$cmd" >/dev/null 2>&1 || return 1
  done
}

command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
  || fail "this script needs a Debian/Ubuntu system (dpkg-query and apt-get not found)"

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all present (${PACKAGES[*]})"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "need root to install ${missing[*]} (run as root or install sudo)"
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp -t install-test-deps.XXXXXX.log)
trap 'rm -f "$log"' EXIT

echo "install-test-deps: installing ${missing[*]} (apt-get update + install, takes a few minutes)"
start=$SECONDS
if ! "${SUDO[@]}" apt-get update -qq >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  fail "apt-get update failed (output above)"
fi
if ! "${SUDO[@]}" apt-get install -y -qq \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  fail "apt-get install ${missing[*]} failed (output above)"
fi

for pkg in "${missing[@]}"; do
  is_installed "$pkg" || fail "$pkg still missing after apt-get install (expected commands: ${COMMANDS[$pkg]})"
done
echo "install-test-deps: installed ${missing[*]} in $((SECONDS - start)) s"
