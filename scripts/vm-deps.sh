#!/usr/bin/env bash
# Installs what an emulated test bed needs on a Debian machine, without touching the running kernel:
#   amd64 (default):  qemu-system-x86 (no recommends: ~30 packages instead of ~170) and the stock
#                     Debian kernel image linux-image-amd64 depends on;
#   ppc64el:          qemu-system-ppc (its PowerNV firmware, skiboot, included) and the kernel
#                     linux-image-powerpc64le depends on, fetched for the ppc64el architecture
#                     (added to dpkg's foreign architectures for the download).
# Kernels are downloaded with `apt-get download` and unpacked into the cache folder; they are never
# installed. Idempotent: does nothing when both are present. Prints the kernel's path on its last
# line. Usage: scripts/vm-deps.sh [amd64|ppc64el]
# Environment: PKEYARENA_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/pkeyarena).
set -euo pipefail

arch=${1:-amd64}
cache=${PKEYARENA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pkeyarena}
case $arch in
amd64) qemu=qemu-system-x86_64 qemu_pkg=qemu-system-x86 meta=linux-image-amd64 image='vmlinuz-*' ;;
ppc64el) qemu=qemu-system-ppc64 qemu_pkg=qemu-system-ppc meta=linux-image-powerpc64le:ppc64el image='vmlinux-*' ;;
*) echo "vm-deps: unknown architecture $arch (amd64 or ppc64el)" >&2; exit 2 ;;
esac
kdir=$cache/kernel-$arch

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

if ! command -v "$qemu" >/dev/null; then
  echo "vm-deps: installing $qemu_pkg" >&2
  apt_update
  retry 3 as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "$qemu_pkg" >&2
fi

kernel=$(ls "$kdir"/boot/$image 2>/dev/null | head -n 1 || true)
if [ -z "$kernel" ]; then
  if [ "$arch" != amd64 ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    as_root dpkg --add-architecture "$arch"
    updated=
  fi
  # A mirror that is mid-sync can fail one index of a foreign architecture; what matters is that
  # the kernel's package can be found, so look it up even when an update reported failure.
  apt_update || echo "vm-deps: apt-get update reported errors; trying the lookup anyway" >&2
  pkg=$(apt-cache depends "$meta" | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$pkg" ] || { echo "vm-deps: cannot find the package $meta depends on" >&2; exit 1; }
  [ "$arch" = amd64 ] || pkg=${pkg%:*}:$arch
  echo "vm-deps: downloading $pkg (not installing it)" >&2
  dl=$(mktemp -d)
  chmod 777 "$dl" # apt's sandbox user _apt must be able to write here
  (cd "$dl" && retry 3 apt-get download -q "$pkg" >&2)
  mkdir -p "$kdir"
  dpkg-deb --fsys-tarfile "$dl"/*.deb | tar -x -C "$kdir" --wildcards "./boot/$image"
  rm -rf "$dl"
  kernel=$(ls "$kdir"/boot/$image | head -n 1)
fi
echo "$kernel"
