"""One pass's accumulated status, events and requeue, rendered as the minimal status patch.

The engine is the only writer of status (DESIGN §4); this is where it builds what it writes:
conditions merged with a generation stamp, ``id``/``atProvider`` fields, an event on every
transition, and nothing when nothing changed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import conditions as cond
from .contract import Result, Subject
from .events import EventReason, Sink
from .observation import Creation, Observation, Readiness
from .problems import Problem


class Outcome:
    """Accumulates one pass's status, events and requeue; renders the minimal patch."""

    def __init__(self, subject: Subject, sink: Sink, fast_seconds: float) -> None:
        self.subject = subject
        self.sink = sink
        self.fast_seconds = fast_seconds
        self.fields: dict[str, Any] = {}
        self.conditions: list[cond.Condition] = []
        self.requeue_after: float | None = None

    def event(self, reason: EventReason, message: str, *, warning: bool = False) -> None:
        self.sink.event(warning=warning, reason=reason, message=message)

    def observed(self, seen: Observation | Creation) -> None:
        if seen.external_id:
            self.fields["id"] = seen.external_id
        self.fields["atProvider"] = dict(seen.at_provider)

    def readiness(self, readiness: Readiness | None) -> None:
        if readiness is None:
            return
        if readiness.ready:
            self.conditions.append(cond.ready(readiness.reason, readiness.message))
        else:
            self.conditions.append(cond.not_ready(readiness.reason, readiness.message))
        if readiness.transitional:
            self.fast()
        self._announce(cond.READY, readiness.reason, readiness.message, readiness.warning)

    def synced(self, message: str = "") -> None:
        self.conditions.append(cond.synced(message))
        previous = cond.find(self.subject.status.get("conditions", []), cond.SYNCED)
        if previous is not None and previous.get("status") == cond.Status.FALSE:
            self.event(EventReason.RECONCILE_SUCCESS, message or "Reconciled again.")

    def not_synced(self, reason: str, message: str, *, warning: bool = True) -> None:
        self.conditions.append(cond.not_synced(reason, message))
        self._announce(cond.SYNCED, reason, message, warning)

    def fast(self, seconds: float | None = None) -> None:
        """Reconcile again soon: after ``seconds``, or the fast pace, whichever is sooner."""
        delay = min(seconds, self.fast_seconds) if seconds is not None else self.fast_seconds
        self.requeue_after = min(self.requeue_after or delay, delay)

    def result(
        self,
        action: str,
        *,
        requeue_after: float | None = None,
        problem: Problem | None = None,
        clear_create_pending: bool = False,
    ) -> Result:
        return Result(
            action=action,
            status_patch=self._patch(),
            requeue_after=requeue_after if requeue_after is not None else self.requeue_after,
            problem=problem,
            clear_create_pending=clear_create_pending and self.subject.create_pending is not None,
        )

    def _announce(self, type_: str, reason: str, message: str, warning: bool) -> None:
        """An event on every transition (a reason that differs from the recorded one)."""
        previous = cond.find(self.subject.status.get("conditions", []), type_)
        if previous is None or previous.get("reason") != reason:
            self.event(EventReason(reason), message, warning=warning)

    def _patch(self) -> dict[str, Any] | None:
        current = self.subject.status
        wanted: dict[str, Any] = dict(self.fields)
        wanted["observedGeneration"] = self.subject.generation
        if self.conditions:
            wanted["conditions"] = cond.merge(
                current.get("conditions", []),
                self.conditions,
                generation=self.subject.generation,
                now=_now(),
            )
        patch = {
            k: _merge_diff(current.get(k), v) for k, v in wanted.items() if current.get(k) != v
        }
        return patch or None


def merged(target: Any, patch: Any) -> Any:
    """``patch`` applied to ``target`` as the API server applies a JSON merge patch (RFC 7386):
    what this process believes the object holds after writing ``patch``."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merged(out.get(key), value)
    return out


def _merge_diff(current: Any, wanted: Any) -> Any:
    """``wanted`` as a JSON merge patch (RFC 7386) over ``current``: a key ``current`` has and
    ``wanted`` lacks is sent as null. The status is merged, not replaced, so without this a map
    never loses a key: an NCC's ``ruleCounts`` kept ``PENDING: 1`` after its rule was
    ESTABLISHED."""
    if not isinstance(current, dict) or not isinstance(wanted, dict):
        return wanted
    diff = {k: None for k in current if k not in wanted}
    diff.update(
        {k: _merge_diff(current.get(k), v) for k, v in wanted.items() if current.get(k) != v}
    )
    return diff


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
