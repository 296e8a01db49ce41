"""Kubernetes credentials as the operator logs in: the in-cluster ServiceAccount first, else the
kubeconfig (``KUBECONFIG`` or ``~/.kube/config``).

Kopf's own login helpers read them (the same TLS and token handling its API client uses); this
module turns Kopf's ``ConnectionInfo`` into the Kopf-free :class:`~.resources.kube.Connection`
that our own httpx clients (Secrets, the pending-create mark, the Lease, export) are built from.
"""

from __future__ import annotations

import kopf

from ncc_operator.resources.kube import Connection


async def login(settings: kopf.OperatorSettings | None = None) -> kopf.ConnectionInfo | None:
    settings = settings or kopf.OperatorSettings()
    info = kopf.login_with_service_account(settings=settings)
    return info or kopf.login_with_kubeconfig(settings=settings)


async def connection(settings: kopf.OperatorSettings | None = None) -> Connection | None:
    info = await login(settings)
    if info is None:
        return None
    return Connection(
        server=info.server, ssl=info.as_ssl_context(), headers=dict(info.as_http_headers())
    )
