"""Counts the requests each client makes to the kube-apiserver, from the apiserver's audit log.

The control plane is started with ``controlplane.start(..., audit=True)``: every request is one
JSON line (two for a watch) in ``plane.audit_log``, appended while the run goes on. This module
reads it incrementally and answers "how many requests did this client make in this time window,
by verb and resource". A client is told apart by its ``User-Agent`` (the TLS user is the same
``ncc-testenv-admin`` for the operator, kubectl and the bench's own watch):

* Kopf's aiohttp session (watches, status and finalizer patches, events): ``kopf/<version>``.
* The operator's own httpx calls (status writes of scheduled passes, the pending-create mark,
  Secrets, the Lease, the API ping): ``ncc-operator/<version>``.
* The bench's status watch: ``ncc-bench-watch/1``.
* kubectl: ``kubectl/<version> (<os>/<arch>) kubernetes/<commit>``; the apiserver's own loopback
  clients: ``kube-apiserver/...``.

A request is counted once, at its ``requestReceivedTimestamp``: events are keyed by ``auditID``,
and a watch, logged when its stream opens (ResponseStarted) and again when it closes
(ResponseComplete), counts when it opens -- one request per stream, however long it stays open.
"""

from __future__ import annotations

import json
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

KOPF_AGENT = "kopf/"
OWN_AGENT = "ncc-operator/"
"""The operator's own calls (status writes, create-pending marks, Secrets, the Lease)."""
OPERATOR_AGENTS = (KOPF_AGENT, OWN_AGENT)
"""User-agent prefixes of everything the operator process sends to the apiserver (the bench's
status watch sends ``ncc-bench-watch/``, kubectl ``kubectl/``)."""
MARK_AGENT = "ncc-bench-audit-mark/"
"""The agent of :meth:`AuditLog.mark`'s own request, so it is never counted as anyone else's."""

_LAST_STAGES = frozenset({"ResponseComplete", "Panic"})


@dataclass(frozen=True, slots=True)
class Request:
    """One request to the apiserver as the audit log saw it."""

    at: float
    """Wall-clock (unix) seconds of ``requestReceivedTimestamp``."""
    verb: str
    """The Kubernetes verb (get, list, watch, create, update, patch, delete, ...) or, for a
    non-resource URL, the lower-case HTTP method."""
    resource: str
    """``resource`` or ``resource/subresource`` (e.g. ``privateendpointrules/status``); for a
    non-resource URL (discovery, /version) its path without the query."""
    agent: str
    user: str
    code: int
    """The response code (0 when the event has none)."""
    namespace: str = ""
    name: str = ""


def parse_timestamp(stamp: str) -> float:
    """Unix seconds of an RFC 3339 audit timestamp (``2026-12-02T17:35:58.819689Z``)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def wall_time(monotonic: float) -> float:
    """``time.monotonic()`` value → ``time.time()`` value, by the clocks' offset right now.

    The two clocks drift apart only by NTP slewing (well under a millisecond per second), so a
    window taken in the last minutes converts to within milliseconds.
    """
    return monotonic + (time.time() - time.monotonic())


def _request(event: dict[str, Any]) -> Request:
    ref = event.get("objectRef") or {}
    if ref.get("resource"):
        sub = ref.get("subresource")
        resource = f"{ref['resource']}/{sub}" if sub else str(ref["resource"])
    else:
        resource = str(event.get("requestURI", "")).split("?", 1)[0]
    return Request(
        at=parse_timestamp(str(event["requestReceivedTimestamp"])),
        verb=str(event.get("verb", "")),
        resource=resource,
        agent=str(event.get("userAgent", "")),
        user=str((event.get("user") or {}).get("username", "")),
        code=int((event.get("responseStatus") or {}).get("code", 0)),
        namespace=str(ref.get("namespace", "")),
        name=str(ref.get("name", "")),
    )


def _prefixes(agent_prefix: str | tuple[str, ...]) -> tuple[str, ...]:
    return (agent_prefix,) if isinstance(agent_prefix, str) else agent_prefix


class AuditLog:
    """The requests in one audit log file, read up to its last complete line on every query.

    Windows are ``[since, until)`` in ``time.monotonic()`` seconds, the bench's clock, unless
    ``wall=True`` says they are ``time.time()`` seconds.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._open: set[str] = set()
        """auditIDs of streams whose ResponseStarted was counted and ResponseComplete is due."""
        self.all: list[Request] = []
        """Every request read so far, in log order."""

    def refresh(self) -> int:
        """Read what was appended since the last call; returns how many requests it added."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0
        if size < self._offset:  # replaced by a new file (never rotated: see controlplane)
            self._offset = 0
            self._open.clear()
        with self.path.open("rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next call
        self._offset += end
        before = len(self.all)
        for line in chunk[:end].splitlines():
            if line.strip():
                self._add(json.loads(line))
        return len(self.all) - before

    def _add(self, event: dict[str, Any]) -> None:
        audit_id, stage = str(event.get("auditID", "")), event.get("stage")
        if audit_id in self._open:  # the later event of a stream already counted
            if stage in _LAST_STAGES:
                self._open.discard(audit_id)
            return
        if stage not in _LAST_STAGES:
            self._open.add(audit_id)
        self.all.append(_request(event))

    def select(
        self,
        since: float,
        until: float,
        agent_prefix: str | tuple[str, ...] = OPERATOR_AGENTS,
        *,
        wall: bool = False,
    ) -> list[Request]:
        """The requests received in the window from a client whose agent starts with a prefix."""
        self.refresh()
        if not wall:
            since, until = wall_time(since), wall_time(until)
        prefixes = _prefixes(agent_prefix)
        return [r for r in self.all if since <= r.at < until and r.agent.startswith(prefixes)]

    def requests(
        self,
        since: float,
        until: float,
        agent_prefix: str | tuple[str, ...] = OPERATOR_AGENTS,
        *,
        wall: bool = False,
    ) -> Counter[tuple[str, str]]:
        """Requests in the window by ``(verb, resource[/subresource])``; a watch counts once."""
        return count(self.select(since, until, agent_prefix, wall=wall))

    def agents(self, since: float, until: float, *, wall: bool = False) -> Counter[str]:
        """Requests in the window by user agent, every client included (to see who is talking)."""
        return Counter(r.agent for r in self.select(since, until, "", wall=wall))

    def mark(self, server: str, context: ssl.SSLContext, timeout: float = 10.0) -> float:
        """Send one request of our own and wait until the log holds it; returns its wall time.

        The apiserver writes an event before the request's handler returns, but the client can
        have its answer a moment earlier; once a request sent after the caller's own answers is
        in the log, theirs are too. Raises TimeoutError if it does not appear.
        """
        agent = f"{MARK_AGENT}{uuid.uuid4().hex}"
        with httpx.Client(verify=context, timeout=timeout, headers={"User-Agent": agent}) as c:
            c.get(f"{server}/version").raise_for_status()
        deadline = time.monotonic() + timeout
        while True:
            self.refresh()
            for r in reversed(self.all):
                if r.agent == agent:
                    return r.at
            if time.monotonic() > deadline:
                raise TimeoutError(f"audit event of {agent} not in {self.path} after {timeout}s")
            time.sleep(0.05)


def count(requests: Iterable[Request]) -> Counter[tuple[str, str]]:
    """``(verb, resource)`` → number of requests."""
    return Counter((r.verb, r.resource) for r in requests)
