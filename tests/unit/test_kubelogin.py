"""Kopf's client logs in with the operator's credentials in a session of bounded size.

Kopf's own session has no connection limit: a 1,000-object apply opened a TLS connection per
concurrent patch (a handshake's CPU and a 128 KiB TLS buffer each; peak RSS 197 MiB against 154
with the bound, bench/README.md). The login must keep what Kopf needs from the credentials: the
server and the Authorization header.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ncc_operator import kubelogin

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: "t0ken"}
contexts:
- name: x
  context: {cluster: c, user: u, namespace: team}
current-context: x
"""


async def test_kopfs_session_is_bounded_and_carries_the_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(KUBECONFIG)
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    context = await kubelogin.kopf_login()
    assert context is not None
    try:
        assert context.server == "https://127.0.0.1:6443"
        assert context.default_namespace == "team"
        session = context.aiohttp_session
        assert session.connector is not None
        assert session.connector.limit == kubelogin.KOPF_CONNECTIONS
        assert session.headers["Authorization"] == "Bearer t0ken"
    finally:
        await context.aiohttp_session.close()
