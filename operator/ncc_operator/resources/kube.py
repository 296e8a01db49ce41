"""Reading Secrets from the Kubernetes API with the operator's own credentials.

Kopf has no public client for arbitrary objects, so this talks httpx over the
:class:`Connection` that the operator's login produced (``ncc_operator.kubelogin``: kubeconfig
or in-cluster service account, through Kopf's helpers), and logs in again on a 401 (projected
service-account tokens rotate). Only ``GET`` of a Secret is needed: the one
thing the operator reads that is not in a Kopf index (indexing every Secret of the cluster would
hold unrelated secrets in memory). Secret values never reach logs or exceptions.

Every call is bounded by a timeout, and every failure is classified: a missing or forbidden
Secret is :class:`SecretMissing` (the account's reference is not ready), a key that is not UTF-8
is :class:`SecretInvalid` (raised only when that key is read: a Secret may hold binary extras),
and an API that cannot be reached or answers 5xx is :class:`KubeUnavailable` (a transient
problem, retried with backoff). :meth:`KubeSecrets.ping` is the liveness probe's API check,
:class:`PendingCreateMark` the one write to our own objects (the engine's pending-create guard),
and :class:`KubeLeases` the leader-election Lease (``ncc_operator.leadership``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ssl
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from ncc_operator import __version__
from ncc_operator.leadership import LeaseConflict, LeaseRecord, LeaseUnavailable
from ncc_operator.models import CREATE_PENDING_ANNOTATION, GROUP, VERSION
from ncc_operator.reconcile import ReferenceNotReady, Transient

from .accounts import SecretMissing


@dataclass(frozen=True)
class Connection:
    """Where the Kubernetes API is and how to authenticate to it (TLS context, auth headers)."""

    server: str
    ssl: ssl.SSLContext
    headers: Mapping[str, str]

    def client(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.server,
            verify=self.ssl,
            # Named in the API server's audit log and metrics, apart from Kopf's "kopf/…".
            headers={"Accept": "application/json", "User-Agent": USER_AGENT, **self.headers},
            timeout=timeout,
            # Every connection is kept: one closed after a burst is a TLS handshake at the next.
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
            ),
        )


Login = Callable[[], Awaitable[Connection | None]]

DEFAULT_TIMEOUT_SECONDS = 30.0
USER_AGENT = f"ncc-operator/{__version__}"
MAX_CONNECTIONS = 16
"""Requests in flight to the Kubernetes API, and connections kept open for them. Callers beyond
this wait in :meth:`KubeSecrets.send`, not in httpx's pool: httpcore re-scans its whole queue of
waiting requests on every request and answer, which made a 1,000-rule apply spend a fifth of
the operator's CPU assigning connections (py-spy, 2026-12-02)."""
PING_PATH = "/apis/networking.ncc-operator.io/v1alpha1"
"""Cheap, needs valid credentials (discovery is open to every authenticated user)."""


KUBE_RETRY_SECONDS = 1.0
KUBE_RETRY_CAP_SECONDS = 8.0
"""A pass that met a Kubernetes API outage looks again after 1 s, doubling to 8 s: the API is
the operator's own cluster, back within seconds of a restart, and an object that tried during
the outage must not then wait the 30 s-to-10-minutes of a Databricks outage (CI: a rule whose
create guard met a kube-apiserver crash was still not created 45 s after the API was back)."""


class KubeUnavailable(Transient):
    """The Kubernetes API could not be reached, timed out, or answered 5xx."""

    retry_after = KUBE_RETRY_SECONDS
    max_backoff: float | None = KUBE_RETRY_CAP_SECONDS


class KubeRefused(KubeUnavailable):
    """The API answered a 4xx nothing here expects (422, 409, ...): not an outage that ends in
    seconds, so it is retried at the general backoff (30 s doubling), never every few seconds."""

    retry_after = 30.0
    max_backoff = None


class SecretInvalid(ReferenceNotReady):
    """A Secret key that is used holds bytes that are not UTF-8 text."""


class SecretData(Mapping[str, str]):
    """A Secret's ``data``, decoded one key at a time when that key is read."""

    def __init__(self, name: str, raw: Mapping[str, str]) -> None:
        self._name = name
        self._raw = dict(raw)

    def __getitem__(self, key: str) -> str:
        encoded = self._raw[key]
        try:
            return base64.b64decode(encoded, validate=True).decode()
        except (UnicodeDecodeError, binascii.Error):
            raise SecretInvalid(
                f"Secret {self._name} key {key!r} is not valid UTF-8 text: store the value as "
                "plain text (kubectl create secret generic ... --from-literal)."
            ) from None

    def __contains__(self, key: object) -> bool:
        return key in self._raw  # presence needs no decoding

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class KubeSecrets:
    def __init__(self, login: Login, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._login = login
        self._timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def read(self, namespace: str, name: str) -> Mapping[str, str]:
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets/{quote(name, safe='')}"
        response = await self._get(path, what=f"reading Secret {name}")
        if response.status_code == 404:
            raise SecretMissing(f"Secret {name} does not exist")
        if response.status_code == 403:
            raise SecretMissing(
                f"Secret {name} cannot be read: the operator lacks RBAC permission to get it"
            )
        _raise_for_status(response, what=f"reading Secret {name}")
        return SecretData(name, response.json().get("data") or {})

    async def ping(self) -> None:
        """One authenticated request; raises :class:`KubeUnavailable` when the API cannot be
        reached, answers 5xx, or rejects the operator's credentials (any other answer proves
        the API is there and listening to us)."""
        response = await self._get(PING_PATH, what="checking the Kubernetes API")
        if response.status_code in (401, 403):
            raise KubeUnavailable(
                f"the Kubernetes API rejected the operator's credentials ({response.status_code})"
            )
        if response.status_code >= 500:
            _raise_for_status(response, what="checking the Kubernetes API")

    async def annotate(
        self, path: str, annotations: Mapping[str, str | None], *, what: str
    ) -> None:
        """Merge ``annotations`` (``None`` removes one) into the object at ``path``; returns only
        once the API confirmed the write."""
        body = {"metadata": {"annotations": dict(annotations)}}
        headers = {"Content-Type": "application/merge-patch+json"}
        response = await self.send("PATCH", path, what=what, json=body, headers=headers)
        _raise_for_status(response, what=what)

    async def close(self) -> None:
        await self._reset()

    async def _get(self, path: str, *, what: str) -> httpx.Response:
        return await self.send("GET", path, what=what)

    async def send(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """One request with the operator's credentials (a new login after a 401); raises
        :class:`KubeUnavailable` on timeouts and transport errors, returns any answer."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise KubeUnavailable(
                f"no connection to the Kubernetes API was free within {self._timeout:g} s "
                f"while {what}"
            ) from None
        try:
            response = await (await self._client()).request(method, path, **kwargs)
            if response.status_code == 401:
                await self._reset()
                response = await (await self._client()).request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise KubeUnavailable(
                f"the Kubernetes API did not answer within {self._timeout:g} s while {what}"
            ) from None
        except httpx.TransportError as error:
            raise KubeUnavailable(
                f"the Kubernetes API could not be reached while {what}: "
                f"{type(error).__name__}: {error}"
            ) from None
        finally:
            self._slots.release()
        return response

    async def _reset(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._http = None

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            info = await self._login()
            if info is None:
                raise SecretMissing("no Kubernetes credentials are available to read Secrets")
            self._http = info.client(self._timeout)
        return self._http


def _raise_for_status(response: httpx.Response, *, what: str) -> None:
    if response.status_code >= 500:
        raise KubeUnavailable(
            f"the Kubernetes API answered {response.status_code} while {what}: retrying"
        )
    if response.status_code >= 400:
        # Neither missing nor forbidden nor an outage: say what the API said, not a traceback.
        raise KubeRefused(f"the Kubernetes API answered {response.status_code} while {what}")


def object_path(plural: str, namespace: str, name: str) -> str:
    """The API path of one of our namespaced custom objects."""
    return (
        f"/apis/{GROUP}/{VERSION}/namespaces/{quote(namespace, safe='')}/{plural}/"
        f"{quote(name, safe='')}"
    )


async def apply_patch(
    kube: KubeSecrets, plural: str, namespace: str, name: str, patch: Mapping[str, Any]
) -> bool:
    """Merge a pass's patch into the object, as Kopf applies a handler's: ``status`` through
    the status subresource, ``metadata`` (annotations) on the object. False when the object is
    gone (nothing to write); :class:`KubeUnavailable` when the API did not take it."""
    path = object_path(plural, namespace, name)
    headers = {"Content-Type": "application/merge-patch+json"}
    parts = [(f"{path}/status", "status"), (path, "metadata")]
    for target, key in parts:
        if not patch.get(key):
            continue
        what = f"writing the {key} of {plural}/{name}"
        response = await kube.send(
            "PATCH", target, what=what, json={key: patch[key]}, headers=headers
        )
        if response.status_code == 404:
            return False
        _raise_for_status(response, what=what)
    return True


class PendingCreateMark:
    """The engine's create guard for one object: the pending-create annotation, written and
    confirmed by the API before any create is sent (Crossplane's ``external-create-pending``)."""

    def __init__(self, kube: KubeSecrets, plural: str, namespace: str, name: str) -> None:
        self._kube = kube
        self._path = object_path(plural, namespace, name)

    async def mark_create_pending(self) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        await self._kube.annotate(
            self._path,
            {CREATE_PENDING_ANNOTATION: now},
            what="recording the pending create (nothing was sent to Databricks)",
        )


class KubeLeases:
    """One ``coordination.k8s.io/v1`` Lease, read and written with optimistic concurrency."""

    def __init__(self, kube: KubeSecrets, namespace: str, name: str) -> None:
        self._kube = kube
        self.namespace, self.name = namespace, name
        self._collection = (
            f"/apis/coordination.k8s.io/v1/namespaces/{quote(namespace, safe='')}/leases"
        )
        self._path = f"{self._collection}/{quote(name, safe='')}"

    async def get(self) -> LeaseRecord | None:
        response = await self._call("GET", self._path, what="reading the leader Lease")
        if response.status_code == 404:
            return None
        return self._parse(response, what="reading the leader Lease")

    async def create(self, record: LeaseRecord) -> LeaseRecord:
        response = await self._call(
            "POST", self._collection, what="creating the leader Lease", json=self._body(record)
        )
        return self._parse(response, what="creating the leader Lease")

    async def update(self, record: LeaseRecord) -> LeaseRecord:
        response = await self._call(
            "PUT", self._path, what="updating the leader Lease", json=self._body(record)
        )
        return self._parse(response, what="updating the leader Lease")

    async def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._kube.send(method, path, what=what, **kwargs)
        except (KubeUnavailable, SecretMissing) as error:
            raise LeaseUnavailable(str(error)) from None

    def _body(self, record: LeaseRecord) -> dict[str, Any]:
        metadata: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if record.resource_version is not None:
            metadata["resourceVersion"] = record.resource_version
        spec: dict[str, Any] = {
            "holderIdentity": record.holder,
            "leaseDurationSeconds": record.duration_seconds,
            "leaseTransitions": record.transitions,
        }
        if record.acquire_time is not None:
            spec["acquireTime"] = record.acquire_time
        if record.renew_time is not None:
            spec["renewTime"] = record.renew_time
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": spec,
        }

    def _parse(self, response: httpx.Response, *, what: str) -> LeaseRecord:
        where = f"Lease {self.namespace}/{self.name}"
        if response.status_code == 409:
            raise LeaseConflict(f"{where} changed while {what}")
        if response.status_code == 403:
            raise LeaseUnavailable(
                f"{where} is forbidden while {what}: the operator needs get, create and update "
                "on leases (coordination.k8s.io) in that namespace"
            )
        if response.status_code >= 400:
            raise LeaseUnavailable(
                f"the Kubernetes API answered {response.status_code} while {what} ({where})"
            )
        body = response.json()
        spec = body.get("spec") or {}
        return LeaseRecord(
            holder=str(spec.get("holderIdentity") or ""),
            duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=spec.get("acquireTime"),
            renew_time=spec.get("renewTime"),
            transitions=int(spec.get("leaseTransitions") or 0),
            resource_version=(body.get("metadata") or {}).get("resourceVersion"),
        )
