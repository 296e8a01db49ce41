#!/usr/bin/env bash
# Builds (or reuses) the CI base image: Debian from debootstrap with python3 + python3-venv.
#
# Why: no public registry is reachable from CI, so the Dockerfile's default BASE (a public python
# slim image) cannot be pulled; CI passes this locally built base instead. The rootfs tarball is
# cached OUTSIDE the repository (like the control-plane binaries), keyed by a stamp of everything
# that shapes it, so later runs only import it into buildah's storage (seconds) or reuse the image.
#
# Usage: tools/image/base.sh            -> prints the image name (localhost/ncc-operator-base:SUITE)
# Env:   NCC_IMAGE_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/ncc-operator/image),
#        NCC_BASE_SUITE (bookworm), NCC_BASE_MIRROR (the mirror apt already uses),
#        BUILDAH_STORAGE_DRIVER (vfs: overlay may fail in sandboxes).
set -euo pipefail

suite=${NCC_BASE_SUITE:-bookworm}
packages=python3,python3-venv,ca-certificates
cache=${NCC_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ncc-operator/image}
driver=${BUILDAH_STORAGE_DRIVER:-vfs}
image=localhost/ncc-operator-base:$suite
buildah=(buildah --storage-driver "$driver")

mirror() {
  # The mirror apt already uses (deb822 or one-line format), else Debian's CDN.
  local uri
  uri=$(grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' || true)
  [[ -n $uri ]] || uri=$(grep -h -m1 -E '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)
  echo "${NCC_BASE_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

stamp="suite=$suite packages=$packages script=$(sha256sum "$0" | cut -c1-16)"
tarball=$cache/base-$suite.tar
mkdir -p "$cache"

if [[ ! -f $tarball || "$(cat "$tarball.stamp" 2>/dev/null)" != "$stamp" ]]; then
  started=$(date +%s)
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "base: debootstrap $suite ($packages) from $(mirror)" >&2
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$(mirror)" >&2
  # What a container never needs: package caches, indexes and documentation (~60 MB).
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/cache/debconf/*-old
  tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  echo "$stamp" >"$tarball.stamp"
  rm -f "$cache/imported-$suite.stamp"
  echo "base: rootfs built in $(($(date +%s) - started))s -> $tarball" >&2
fi

# The image in buildah's storage, imported from the cached tarball unless it is already there
# (buildah has no import verb: `from scratch` + `add` of the tarball, which it unpacks, + commit).
if ! "${buildah[@]}" inspect --type image "$image" >/dev/null 2>&1 \
  || [[ "$(cat "$cache/imported-$suite.stamp" 2>/dev/null)" != "$stamp" ]]; then
  c=$("${buildah[@]}" from scratch)
  "${buildah[@]}" add "$c" "$tarball" / >/dev/null
  "${buildah[@]}" config --cmd /bin/sh --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
  "${buildah[@]}" commit --quiet --rm "$c" "$image" >/dev/null
  echo "$stamp" >"$cache/imported-$suite.stamp"
fi
echo "$image"
