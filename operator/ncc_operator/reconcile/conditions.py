"""Ready and Synced conditions: one constructor per state, and the merge that stamps them.

Every condition carries ``observedGeneration`` and ``lastTransitionTime``; the time moves only
when ``status`` flips (the Kubernetes convention), so re-writing the same state never changes the
object. Reasons are CamelCase and messages say what to do (DESIGN §2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

READY = "Ready"
SYNCED = "Synced"


class Status(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class Condition:
    """A condition before it is stamped with a generation and a transition time."""

    type: str
    status: Status
    reason: str
    message: str = ""


def ready(reason: str = "Available", message: str = "") -> Condition:
    return Condition(READY, Status.TRUE, reason, message)


def not_ready(reason: str, message: str) -> Condition:
    return Condition(READY, Status.FALSE, reason, message)


def synced(message: str = "") -> Condition:
    return Condition(SYNCED, Status.TRUE, "ReconcileSuccess", message)


def not_synced(reason: str, message: str) -> Condition:
    return Condition(SYNCED, Status.FALSE, reason, message)


def find(conditions: Sequence[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    return next((c for c in conditions if c.get("type") == type_), None)


def merge(
    existing: Sequence[Mapping[str, Any]],
    updates: Sequence[Condition],
    *,
    generation: int,
    now: str,
) -> list[dict[str, Any]]:
    """Return ``existing`` with ``updates`` applied, in a stable order (Ready, Synced, others).

    A condition whose status did not flip keeps its ``lastTransitionTime``, so an unchanged
    state produces an identical list and therefore no status patch.
    """
    merged: dict[str, dict[str, Any]] = {str(c.get("type")): dict(c) for c in existing}
    for cond in updates:
        old = merged.get(cond.type)
        flipped = old is None or old.get("status") != cond.status.value
        merged[cond.type] = {
            "type": cond.type,
            "status": cond.status.value,
            "reason": cond.reason,
            "message": cond.message,
            "lastTransitionTime": now if flipped or old is None else old["lastTransitionTime"],
            "observedGeneration": generation,
        }
    order = {READY: 0, SYNCED: 1}
    return [merged[k] for k in sorted(merged, key=lambda k: (order.get(k, 2), k))]
