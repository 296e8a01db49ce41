"""Kubernetes credentials as the operator logs in: the in-cluster ServiceAccount first, else the
kubeconfig (``KUBECONFIG`` or ``~/.kube/config``).

Kopf's own login helpers read them (the same TLS and token handling its API client uses); this
module turns Kopf's ``ConnectionInfo`` into the Kopf-free :class:`~.resources.kube.Connection`
that our own httpx clients (Secrets, the pending-create mark, the Lease, export) are built from.
"""

from __future__ import annotations

import aiohttp
import kopf

from ncc_operator.resources.kube import Connection

KOPF_CONNECTIONS = 32
"""Connections Kopf's client may hold: its watches (one per kind and namespace list, a few) plus
patches and events. Kopf's own session has no limit, so a 1,000-object apply opened a TLS
connection per concurrent patch (each with a 128 KiB TLS buffer and a handshake's CPU)."""


async def login(settings: kopf.OperatorSettings | None = None) -> kopf.ConnectionInfo | None:
    settings = settings or kopf.OperatorSettings()
    info = kopf.login_with_service_account(settings=settings)
    return info or kopf.login_with_kubeconfig(settings=settings)


async def kopf_login(settings: kopf.OperatorSettings | None = None) -> kopf.AiohttpSession | None:
    """What Kopf's login handler returns: the same credentials as :func:`login`, in a session
    whose connector keeps at most :data:`KOPF_CONNECTIONS` connections (Kopf closes it and asks
    again after a 401)."""
    info = await login(settings)
    if info is None:
        return None
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=KOPF_CONNECTIONS, ssl=info.as_ssl_context()),
        headers=info.as_http_headers(),
    )
    return kopf.AiohttpSession(
        server=info.server,
        priority=info.priority,
        default_namespace=info.default_namespace,
        expiration=info.expiration,
        aiohttp_session=session,
    )


async def connection(settings: kopf.OperatorSettings | None = None) -> Connection | None:
    info = await login(settings)
    if info is None:
        return None
    return Connection(
        server=info.server, ssl=info.as_ssl_context(), headers=dict(info.as_http_headers())
    )
