# syntax=docker/dockerfile:1
# The ncc-operator image: one virtualenv, dependencies exactly from uv.lock, run as a non-root
# numeric UID on a read-only root filesystem (the process writes nothing outside /tmp).
#
#   docker build -t ncc-operator .                      # on the public Python image below
#   make image                                          # CI: buildah on a debootstrap base
#
# BASE must be a Debian-like image with python3 (>= 3.11) and its venv module at the same path in
# both stages: the virtualenv's interpreter is a symlink into the base.
ARG BASE=docker.io/library/python:3.11.13-slim-bookworm

FROM ${BASE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_NO_INPUT=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
# Build tools in their own virtualenv, every file hash-pinned.
COPY tools/image/build-requirements.txt /tmp/build-requirements.txt
RUN python3 -m venv /opt/build \
 && /opt/build/bin/pip install --require-hashes --only-binary=:all: -r /tmp/build-requirements.txt
# Dependencies first (their layer survives source edits): uv.lock -> hash-pinned requirements,
# installed with --no-deps, so pip resolves nothing and downloads only what the lock names.
COPY pyproject.toml uv.lock ./
RUN /opt/build/bin/uv export --frozen --no-dev --no-emit-project --format requirements-txt \
      -o /tmp/requirements.txt \
 && python3 -m venv /opt/ncc-operator \
 && /opt/ncc-operator/bin/pip install --no-deps --require-hashes --only-binary=:all: \
      -r /tmp/requirements.txt
# The project itself, as a wheel built with the pinned backend (no build isolation: no download);
# then pip goes (not needed at run time) and bytecode is compiled now and trusted as is
# (unchecked-hash): at run time nothing is, or could be, written.
COPY README.md ./
COPY operator ./operator
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /tmp/dist . \
 && /opt/ncc-operator/bin/pip install --no-deps /tmp/dist/*.whl \
 && /opt/ncc-operator/bin/pip uninstall --yes pip setuptools \
 && /opt/ncc-operator/bin/python -m compileall -q --invalidation-mode unchecked-hash \
      /opt/ncc-operator/lib

FROM ${BASE}
# A name for the UID (tools that print users); the distroless convention 65532 = nonroot.
RUN echo 'ncc-operator:x:65532:65532:ncc-operator:/tmp:/usr/sbin/nologin' >>/etc/passwd \
 && echo 'ncc-operator:x:65532:' >>/etc/group
COPY --from=build /opt/ncc-operator /opt/ncc-operator
ENV PATH=/opt/ncc-operator/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/tmp PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 65532:65532
WORKDIR /tmp
# 8080: Prometheus /metrics; 8081: Kopf liveness /healthz.
EXPOSE 8080 8081
ENTRYPOINT ["ncc-operator"]
CMD ["run"]
# Last: a new revision changes only this metadata, never a cached layer above.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="ncc-operator" \
      org.opencontainers.image.description="Kubernetes operator for Databricks serverless network connectivity configurations and private endpoint rules" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
