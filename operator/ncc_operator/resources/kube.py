"""Reading Secrets from the Kubernetes API with the operator's own credentials.

Kopf has no public client for arbitrary objects, so this reuses the ``ConnectionInfo`` that
Kopf's login produced (kubeconfig or in-cluster service account) with httpx, and logs in again
on a 401 (projected service-account tokens rotate). Only ``GET`` of a Secret is needed: the one
thing the operator reads that is not in a Kopf index (indexing every Secret of the cluster would
hold unrelated secrets in memory). Secret values never reach logs or exceptions.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import quote

import httpx
import kopf

from .accounts import SecretMissing

Login = Callable[[], Awaitable[kopf.ConnectionInfo | None]]


class KubeSecrets:
    def __init__(self, login: Login) -> None:
        self._login = login
        self._http: httpx.AsyncClient | None = None

    async def read(self, namespace: str, name: str) -> Mapping[str, str]:
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets/{quote(name, safe='')}"
        response = await (await self._client()).get(path)
        if response.status_code == 401:
            await self._reset()
            response = await (await self._client()).get(path)
        if response.status_code == 404:
            raise SecretMissing(f"Secret {name} does not exist")
        if response.status_code == 403:
            raise SecretMissing(
                f"Secret {name} cannot be read: the operator lacks RBAC permission to get it"
            )
        response.raise_for_status()
        data = response.json().get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    async def close(self) -> None:
        await self._reset()

    async def _reset(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._http = None

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            info = await self._login()
            if info is None:
                raise SecretMissing("no Kubernetes credentials are available to read Secrets")
            self._http = self._build(info)
        return self._http

    @staticmethod
    def _build(info: kopf.ConnectionInfo) -> httpx.AsyncClient:
        # Kopf's own helpers: the same TLS and auth headers its API client uses.
        return httpx.AsyncClient(
            base_url=info.server,
            verify=info.as_ssl_context(),
            headers={"Accept": "application/json", **info.as_http_headers()},
            timeout=30.0,
        )
