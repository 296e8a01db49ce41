#!/usr/bin/env bash
# Builds the operator image with buildah (daemonless) on the cached debootstrap base.
#
# Usage: tools/image/build.sh          -> prints the image name; timings and size go to stderr
# Env:   NCC_IMAGE (localhost/ncc-operator:dev), NCC_IMAGE_BASE (default: tools/image/base.sh),
#        BUILDAH_STORAGE_DRIVER (vfs).
# Layers are cached (--layers): a rebuild after a source edit reuses the dependency layer.
set -euo pipefail
cd "$(dirname "$0")/../.."

driver=${BUILDAH_STORAGE_DRIVER:-vfs}
image=${NCC_IMAGE:-localhost/ncc-operator:dev}
buildah=(buildah --storage-driver "$driver")
command -v buildah >/dev/null || {
  echo "image: buildah is missing: apt-get install -y buildah debootstrap (see docs/install.md)" >&2
  exit 1
}

started=$(date +%s)
base=${NCC_IMAGE_BASE:-$(tools/image/base.sh)}
based=$(date +%s)

# Downloads in RUN steps go through whatever TLS proxy the host trusts: lend the build its CA
# bundle (read-only). pip in the build reads it through PIP_CERT.
ca=${SSL_CERT_FILE:-$(python3 -c 'import ssl; print(ssl.get_default_verify_paths().cafile or "")')}
volumes=()
[[ -n $ca && -f $ca ]] && volumes=(--volume "$ca:/etc/ssl/certs/ca-certificates.crt:ro")

version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source=$(git remote get-url origin 2>/dev/null || true)

"${buildah[@]}" bud --isolation chroot --layers --quiet "${volumes[@]}" \
  --build-arg "BASE=$base" --build-arg "VERSION=$version" \
  --build-arg "REVISION=$revision" --build-arg "SOURCE=$source" \
  -t "$image" . >&2
done_at=$(date +%s)
size=$("${buildah[@]}" images --noheading --format '{{.Size}}' "$image" 2>/dev/null || echo '?')
echo "image: $image base ${base} ($((based - started))s) build $((done_at - based))s total $((done_at - started))s size ${size}" >&2
echo "$image"
