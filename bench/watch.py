"""Counts status patches by watching the custom resources, as any client of the API would see them.

One thread per kind streams ``?watch=true`` from the apiserver with the admin client certificate.
Every MODIFIED event is classified: its ``status`` differs from the previous one (a status patch)
or not (metadata only: finalizers, the operator's bookkeeping annotations). Each event is kept
with its time, so a phase is just a time window.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

GROUP_VERSION = "networking.ncc-operator.io/v1alpha1"
_AGENT = {"User-Agent": "ncc-bench-watch/1"}
"""Its own agent, so the audit log tells the bench's watch from the operator."""
PLURALS = ("databricksaccounts", "networkconnectivityconfigs", "privateendpointrules")


@dataclass
class ObjectState:
    status: str = "null"
    ready: bool = False
    ready_at: float | None = None
    reason: str = ""
    status_changes: list[float] = field(default_factory=list)
    history: list[tuple[float, str]] = field(default_factory=list)
    """(time, status JSON) of every status seen, the first included."""


@dataclass(frozen=True)
class Change:
    at: float
    key: str
    status: bool
    """True: the status changed; False: only metadata (annotations, finalizers, ...)."""


def is_ready(obj: dict[str, Any]) -> bool:
    return ready_reason(obj).startswith("True")


def ready_reason(obj: dict[str, Any]) -> str:
    """``"<status> <reason>: <message>"`` of the Ready condition, or "" without one."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return f"{c.get('status')} {c.get('reason')}: {c.get('message', '')}"
    return ""


class StatusWatch:
    def __init__(self, server: str, context: ssl.SSLContext, namespace: str) -> None:
        self._server = server
        self._context = context
        self._namespace = namespace
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.objects: dict[str, ObjectState] = {}
        self.changes: list[Change] = []
        self.errors: list[str] = []

    def _url(self, plural: str) -> str:
        return f"{self._server}/apis/{GROUP_VERSION}/namespaces/{self._namespace}/{plural}"

    def start(self) -> None:
        with httpx.Client(verify=self._context, timeout=30, headers=_AGENT) as client:
            for plural in PLURALS:
                body = self._list(client, plural)
                for item in body.get("items", []):
                    self._observe(plural, item, time.monotonic())
                rv = str(body["metadata"]["resourceVersion"])
                thread = threading.Thread(
                    target=self._run, args=(plural, rv), daemon=True, name=f"watch-{plural}"
                )
                thread.start()
                self._threads.append(thread)

    def _list(self, client: httpx.Client, plural: str) -> dict[str, Any]:
        # A just-Established CRD can answer 429 for a moment while its storage comes up.
        deadline = time.monotonic() + 30
        while True:
            listed = client.get(self._url(plural))
            if listed.status_code != 429 or time.monotonic() > deadline:
                listed.raise_for_status()
                body: dict[str, Any] = listed.json()
                return body
            time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _run(self, plural: str, rv: str) -> None:
        timeout = httpx.Timeout(30, read=None)
        while not self._stop.is_set():
            params = {
                "watch": "true",
                "resourceVersion": rv,
                "allowWatchBookmarks": "true",
                "timeoutSeconds": "5",  # short streams: the stop flag is checked between them
            }
            try:
                with (
                    httpx.Client(verify=self._context, timeout=timeout, headers=_AGENT) as client,
                    client.stream("GET", self._url(plural), params=params) as answer,
                ):
                    answer.raise_for_status()
                    for line in answer.iter_lines():
                        if line:
                            rv = self._event(plural, json.loads(line), rv)
            except (httpx.HTTPError, ValueError) as error:
                self.errors.append(f"{plural}: {error!r}")
                time.sleep(0.5)

    def _event(self, plural: str, event: dict[str, Any], rv: str) -> str:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":  # e.g. 410 Gone: start again from now (never seen in practice)
            self.errors.append(f"{plural}: {obj}")
            return ""
        new_rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
        if kind in {"ADDED", "MODIFIED"}:
            self._observe(plural, obj, time.monotonic())
        return new_rv

    def _observe(self, plural: str, obj: dict[str, Any], now: float) -> None:
        key = f"{plural}/{obj['metadata']['name']}"
        status = json.dumps(obj.get("status"), sort_keys=True)
        reason = ready_reason(obj)
        ready = reason.startswith("True")
        with self._lock:
            state = self.objects.get(key)
            if state is None:
                state = self.objects[key] = ObjectState(status=status, history=[(now, status)])
            else:
                changed = status != state.status
                self.changes.append(Change(now, key, changed))
                if changed:
                    state.status = status
                    state.status_changes.append(now)
                    state.history.append((now, status))
            if ready and not state.ready and state.ready_at is None:
                state.ready_at = now
            state.ready, state.reason = ready, reason

    # -- queries ---------------------------------------------------------------------------

    def ready_count(self) -> int:
        with self._lock:
            return sum(1 for s in self.objects.values() if s.ready)

    def not_ready(self, limit: int = 5) -> str:
        """A few objects that are not Ready, with their Ready condition (for error messages)."""
        with self._lock:
            waiting = [(k, s.reason) for k, s in self.objects.items() if not s.ready]
        shown = "; ".join(f"{k}: {r or 'no Ready condition'}" for k, r in waiting[:limit])
        return f"{len(waiting)} of {len(self.objects)} not Ready: {shown}"

    def changed_keys(self, start: float, end: float) -> list[str]:
        with self._lock:
            return sorted({c.key for c in self.changes if c.status and start <= c.at < end})

    def history(self, key: str, since: float) -> list[dict[str, Any]]:
        """The statuses ``key`` went through, with seconds since ``since``."""
        with self._lock:
            state = self.objects.get(key)
            steps = list(state.history) if state else []
        return [{"t": round(t - since, 2), "status": json.loads(s)} for t, s in steps]

    def most_patched(self, prefix: str) -> str:
        """The object of a kind with the most status changes (first one on a tie)."""
        with self._lock:
            keys = [k for k in self.objects if k.startswith(prefix + "/")]
            return max(keys, key=lambda k: len(self.objects[k].status_changes), default="")

    def last_status_change(self) -> float:
        with self._lock:
            return max((c.at for c in self.changes if c.status), default=0.0)

    def window(self, start: float, end: float) -> tuple[int, int]:
        """(status changes, metadata-only changes) seen in [start, end)."""
        with self._lock:
            inside = [c for c in self.changes if start <= c.at < end]
        return sum(1 for c in inside if c.status), sum(1 for c in inside if not c.status)

    def patches_until_ready(self, prefix: str) -> list[int]:
        """Per object of a kind: status changes up to and including the first Ready=True."""
        with self._lock:
            return [
                sum(1 for t in s.status_changes if s.ready_at is not None and t <= s.ready_at)
                for k, s in self.objects.items()
                if k.startswith(prefix + "/")
            ]

    def patches_per_object(self, prefix: str, start: float, end: float) -> list[int]:
        with self._lock:
            return [
                sum(1 for t in s.status_changes if start <= t < end)
                for k, s in self.objects.items()
                if k.startswith(prefix + "/")
            ]

    def first_times(self, prefix: str, field_name: str) -> list[float]:
        """Per object of a kind: when its status first carried ``field_name`` (e.g. ``id``)."""
        with self._lock:
            histories = [s.history for k, s in self.objects.items() if k.startswith(prefix + "/")]
        found = []
        for history in histories:
            for t, status in history:
                if f'"{field_name}":' in status:
                    found.append(t)
                    break
        return found

    def status_field(self, key: str, name: str) -> str:
        """A top-level field of the object's latest status ("" when absent)."""
        with self._lock:
            state = self.objects.get(key)
            status = json.loads(state.status) if state else None
        return str((status or {}).get(name) or "")

    def ready_times(self, prefix: str) -> list[float]:
        with self._lock:
            return [
                s.ready_at
                for k, s in self.objects.items()
                if k.startswith(prefix + "/") and s.ready_at is not None
            ]

    def wait(
        self, check: Callable[[], bool], timeout: float, what: str, *, every: float = 0.05
    ) -> float:
        """Poll ``check`` until true; returns the monotonic time it became true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return time.monotonic()
            time.sleep(every)
        raise TimeoutError(
            f"timed out after {timeout:.0f}s waiting for {what} ({self.not_ready()})"
        )

    def wait_quiet(self, expected: int, quiet: float, timeout: float) -> float:
        """Wait until all ``expected`` objects are Ready and no status changed for ``quiet``
        seconds; returns the time of the last status change (or now if there was none)."""

        def settled() -> bool:
            last = self.last_status_change()
            return self.ready_count() >= expected and time.monotonic() - last >= quiet

        self.wait(settled, timeout, f"{expected} objects Ready and {quiet:.0f}s without change")
        return self.last_status_change()
