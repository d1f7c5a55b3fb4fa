#!/usr/bin/env bash
# Installs what the emulated-PKU test bed needs on a Debian machine, without touching the running kernel:
#   - qemu-system-x86 (no recommends: ~30 packages instead of ~170),
#   - a stock Debian kernel image (the package linux-image-amd64 depends on), downloaded with
#     `apt-get download` and unpacked into the cache folder; it is never installed.
# Idempotent: does nothing when both are present. Prints the kernel's path on its last line.
# Environment: PKEYARENA_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/pkeyarena).
set -euo pipefail

cache=${PKEYARENA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pkeyarena}
kdir=$cache/kernel-amd64

retry() { # retry N cmd...: runs cmd up to N times, 10 s apart
  local n=$1 i; shift
  for ((i = 1; i <= n; i++)); do
    "$@" && return 0
    echo "vm-deps: attempt $i/$n failed: $*" >&2
    sleep 10
  done
  return 1
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

updated=
apt_update() { [ -n "$updated" ] || { retry 3 as_root apt-get update -q >&2 && updated=1; }; }

if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "vm-deps: installing qemu-system-x86" >&2
  apt_update
  retry 3 as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    qemu-system-x86 >&2
fi

kernel=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
if [ -z "$kernel" ]; then
  apt_update
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$pkg" ] || { echo "vm-deps: cannot find the package linux-image-amd64 depends on" >&2; exit 1; }
  echo "vm-deps: downloading $pkg (not installing it)" >&2
  dl=$(mktemp -d)
  chmod 777 "$dl" # apt's sandbox user _apt must be able to write here
  (cd "$dl" && retry 3 apt-get download -q "$pkg" >&2)
  mkdir -p "$kdir"
  dpkg-deb --fsys-tarfile "$dl"/"$pkg"_*.deb | tar -x -C "$kdir" --wildcards './boot/vmlinuz-*'
  rm -rf "$dl"
  kernel=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
fi
echo "$kernel"
