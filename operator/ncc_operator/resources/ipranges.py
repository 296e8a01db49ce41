"""The serverless outbound IP ranges Databricks publishes, per cloud and region.

Databricks publishes the public IP ranges serverless compute uses to reach public endpoints as
``ip-ranges.json``, to be filtered by cloud and region ("Connect to public on-premises endpoints
using outbound IP addresses"); it replaces the NCC's legacy stable IPs, decommissioned after
25 May 2026. This module owns reading that document (an https URL, or a local file for
air-gapped clusters: operator configuration only, never chosen by a CR), parsing the one format
we have evidence of (docs/concepts.md cites it), caching it, refreshing it daily (injectable
clock), keeping the last good copy when a refresh fails, answering "which ranges for this cloud
and region" for each NCC's status, and optionally publishing them to one ConfigMap.

Why a feed that is not valid is rejected whole instead of parsed in part: a firewall fed half a
list blocks traffic silently; the last good copy is the safer answer until the feed is fixed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, urlsplit

import httpx

from .ipranges_feed import (
    Feed,
    FeedInvalidError,
    FeedUnavailableError,
    configmap_data,
    parse_feed,
    rfc3339,
)

if TYPE_CHECKING:
    from ncc_operator.settings import Settings

logger = logging.getLogger(__name__)

FEED_HOSTS = frozenset({"www.databricks.com"})
"""The host every public user of the feed fetches it from (docs/concepts.md); others must be on
the operator's allowed hosts (an emulator, a mirror)."""
DEFAULT_REFRESH_SECONDS = 86400.0
RETRY_SECONDS = 300.0
"""After a failed refresh, wait this long (or the refresh interval, if shorter) before trying
again: every NCC reconcile asks, and an outage must not become a request per reconcile."""
FETCH_TIMEOUT_SECONDS = 10.0
MAX_FEED_BYTES = 4 * 1024 * 1024
"""The feed is ~64 KiB; anything this large is not it (and must not fill memory)."""
FIELD_MANAGER = "ncc-operator"


# --- where the document comes from ----------------------------------------------------------


def check_url(url: str, *, allowed_hosts: frozenset[str], allow_http: bool) -> None:
    """Raise ``ValueError`` unless ``url`` is one the operator may fetch the feed from."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise ValueError(
            f"the outbound IP ranges URL must use https (got {parts.scheme or 'no scheme'}); "
            "plain http only with NCC_OPERATOR_ALLOW_HTTP (emulators, tests)"
        )
    if parts.username is not None or parts.password is not None:
        raise ValueError("the outbound IP ranges URL must not carry a user name or password")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError as error:
        raise ValueError(f"the outbound IP ranges URL is not valid: {error}") from None
    if host in FEED_HOSTS or host in allowed_hosts or f"{host}:{port}" in allowed_hosts:
        return
    raise ValueError(
        f"the outbound IP ranges host {host} is neither {', '.join(sorted(FEED_HOSTS))} nor on "
        "the operator's allowed hosts (NCC_OPERATOR_ALLOWED_HOSTS)"
    )


Fetch = Callable[[], Awaitable[bytes]]


def url_fetcher(url: str, *, timeout: float = FETCH_TIMEOUT_SECONDS, allow_http: bool) -> Fetch:
    """GET ``url`` (bounded in time and size; redirects only to https unless ``allow_http``)."""

    async def fetch() -> bytes:
        try:
            async with (
                httpx.AsyncClient(timeout=timeout, follow_redirects=True) as http,
                http.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.url.scheme != "https" and not allow_http:
                    where = response.url.host
                    raise FeedUnavailableError(f"redirected to a non-https URL ({where})")
                if response.status_code != 200:
                    raise FeedUnavailableError(f"HTTP {response.status_code} from {url}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > MAX_FEED_BYTES:
                        too_big = f"{url} answered more than {MAX_FEED_BYTES} bytes"
                        raise FeedUnavailableError(too_big)
                return bytes(body)
        except httpx.TimeoutException:
            raise FeedUnavailableError(f"{url} did not answer within {timeout:g} s") from None
        except httpx.HTTPError as error:
            raise FeedUnavailableError(f"{url} could not be read: {type(error).__name__}") from None

    return fetch


def file_fetcher(path: str) -> Fetch:
    async def fetch() -> bytes:
        try:
            data = await asyncio.to_thread(Path(path).read_bytes)
        except OSError as error:
            raise FeedUnavailableError(f"{path} could not be read: {error.strerror}") from None
        if len(data) > MAX_FEED_BYTES:
            raise FeedUnavailableError(f"{path} is larger than {MAX_FEED_BYTES} bytes")
        return data

    return fetch


# --- publishing -----------------------------------------------------------------------------


class KubeSender(Protocol):
    """What publishing needs of the Kubernetes client (``resources.kube.KubeSecrets.send``)."""

    async def send(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response: ...


class ConfigMapPublisher:
    """Server-side apply of one ConfigMap: creates it, replaces our keys, drops stale ones."""

    def __init__(self, kube: KubeSender, namespace: str, name: str) -> None:
        self._kube, self.namespace, self.name = kube, namespace, name

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    async def publish(self, data: Mapping[str, str]) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "ncc-operator"},
            },
            "data": dict(data),
        }
        path = (
            f"/api/v1/namespaces/{quote(self.namespace, safe='')}/configmaps/"
            f"{quote(self.name, safe='')}"
        )
        what = f"publishing the outbound IP ranges to ConfigMap {self.ref}"
        response = await self._kube.send(
            "PATCH",
            path,
            what=what,
            params={"fieldManager": FIELD_MANAGER, "force": "true"},
            content=json.dumps(body),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
        if response.status_code == 403:
            raise FeedUnavailableError(
                f"the operator may not write ConfigMap {self.ref}: it needs create and patch on "
                f"configmaps (resourceNames: {self.name}) in namespace {self.namespace}"
            )
        if response.status_code >= 300:
            raise FeedUnavailableError(
                f"the Kubernetes API answered {response.status_code} while {what}"
            )


# --- the cache ------------------------------------------------------------------------------


@dataclass
class _State:
    feed: Feed | None = None
    digest: str | None = None
    fetched_at: float | None = None
    """When the content now held was first fetched (an identical refresh keeps it)."""
    error: str | None = None
    next_try: float = 0.0
    published: str | None = None
    """Digest of the content last published; ``None``: not (yet) published in this process."""
    publish_error: str | None = None
    next_publish: float = 0.0


@dataclass
class OutboundIpRanges:
    """The cached feed. ``status_for`` is what an NCC shows; it refreshes when due."""

    source: str
    fetch: Fetch
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS
    clock: Callable[[], float] = time.time
    publisher: ConfigMapPublisher | None = None
    _state: _State = field(default_factory=_State, init=False, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, kube: KubeSender | None = None
    ) -> OutboundIpRanges | None:
        """The configured feed, or ``None`` when the operator was given neither URL nor file.
        Publishing to the configured ConfigMap needs ``kube`` (start-up passes its client).

        Raises ``ValueError`` for a URL the operator must not fetch (checked at start-up, so a
        misconfiguration stops the operator instead of showing in every NCC).
        """
        publisher = None
        if settings.outbound_ip_ranges_configmap and kube is not None:
            namespace, name = settings.outbound_ip_ranges_configmap.split("/", 1)
            publisher = ConfigMapPublisher(kube, namespace, name)
        refresh = settings.outbound_ip_ranges_refresh_seconds
        if settings.outbound_ip_ranges_file:
            path = settings.outbound_ip_ranges_file
            return cls(path, file_fetcher(path), refresh, publisher=publisher)
        url = settings.outbound_ip_ranges_url
        if not url:
            return None
        hosts = frozenset(h.strip().lower() for h in settings.allowed_hosts)
        check_url(url, allowed_hosts=hosts, allow_http=settings.allow_http)
        fetch = url_fetcher(url, allow_http=settings.allow_http)
        return cls(url, fetch, refresh, publisher=publisher)

    async def refresh_if_due(self) -> None:
        """Fetch when the copy is older than the refresh interval (or missing), then publish.

        Callers with a copy in hand do not wait for a refresh another caller is running.
        """
        if not self._due():
            return
        if self._lock.locked() and self._state.feed is not None:
            return
        async with self._lock:
            if self.clock() >= self._state.next_try:
                await self._refresh()
            if self._publish_due(self.clock()):
                await self._publish()

    def _due(self) -> bool:
        state, now = self._state, self.clock()
        return now >= state.next_try or self._publish_due(now)

    def _publish_due(self, now: float) -> bool:
        state = self._state
        return (
            self.publisher is not None
            and state.feed is not None
            and state.published != state.digest
            and now >= state.next_publish
        )

    async def _refresh(self) -> None:
        state, now = self._state, self.clock()
        try:
            raw = await self.fetch()
            feed = parse_feed(raw)
        except Exception as error:  # whatever went wrong, the last good copy stays in use
            if isinstance(error, FeedInvalidError):
                why = f"not in the known format: {error}"
            elif isinstance(error, FeedUnavailableError):
                why = f"unavailable: {error}"
            else:
                why = f"unavailable: {type(error).__name__}: {error}"
            message = f"the outbound IP ranges at {self.source} are {why}"
            if message != state.error:
                logger.warning("%s; keeping the last good copy, if any", message)
            state.error = message
            state.next_try = now + min(RETRY_SECONDS, self.refresh_seconds)
            return
        digest = hashlib.sha256(raw).hexdigest()
        if digest != state.digest:
            state.feed, state.digest, state.fetched_at = feed, digest, now
            logger.info(
                "outbound IP ranges read from %s (schema %s, %d entries)",
                self.source,
                feed.schema_version,
                len(feed.entries),
            )
        state.error = None
        state.next_try = now + self.refresh_seconds

    async def _publish(self) -> None:
        state = self._state
        assert self.publisher is not None
        assert state.feed is not None
        assert state.fetched_at is not None
        data = configmap_data(state.feed, self.source, rfc3339(state.fetched_at))
        try:
            await self.publisher.publish(data)
        except Exception as error:  # any failure: report, keep serving status, retry later
            message = f"{type(error).__name__}: {error}"
            if message != state.publish_error:
                logger.warning("outbound IP ranges not published: %s", message)
            state.publish_error = message
            state.next_publish = self.clock() + RETRY_SECONDS
            return
        state.published, state.publish_error = state.digest, None

    async def status_for(self, cloud: str, region: str) -> dict[str, Any]:
        """``status.atProvider.outboundIpRanges`` of an NCC in ``cloud``/``region``.

        Changes only when the content or the error changes, never per poll (DESIGN §3).
        """
        await self.refresh_if_due()
        state = self._state
        out: dict[str, Any] = {"source": self.source}
        if state.feed is not None and state.fetched_at is not None:
            v4, v6 = state.feed.outbound(cloud, region)
            out["fetchedAt"] = rfc3339(state.fetched_at)
            if state.feed.timestamp_seconds is not None:
                out["feedTimestamp"] = rfc3339(float(state.feed.timestamp_seconds))
            out["ipv4"], out["ipv6"] = list(v4), list(v6)
        if state.error:
            out["error"] = state.error + (
                "; showing the last good copy" if state.feed is not None else ""
            )
        if self.publisher is not None and state.published is not None:
            out["configMap"] = self.publisher.ref
        return out
