"""When each object is reconciled next, and one lock per object.

Kopf timers tick often and cheaply; the :class:`Schedule` decides whether a tick does real work.
This keeps polling in one place: a fast pace while something is transitional, the jittered
resync (default 5 min) at steady state, and exponential backoff for repeated failures — without
any per-poll timestamps in status. Everything lives in memory: after a restart every object is
due at once, which is the resume-time re-observe we want anyway.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from .contract import Result

DEFAULT_RESYNC_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 600.0


@dataclass
class _Entry:
    due: float
    failures: int = 0


class Schedule:
    """Next-due times per object uid; a clock and a random source are injectable for tests."""

    def __init__(
        self,
        *,
        resync_seconds: float = DEFAULT_RESYNC_SECONDS,
        jitter: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.resync_seconds = resync_seconds
        self._jitter = jitter
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not cryptography)
        self._entries: dict[str, _Entry] = {}

    def due(self, uid: str) -> bool:
        entry = self._entries.get(uid)
        return entry is None or self._clock() >= entry.due

    def now(self, uid: str) -> None:
        """Make the object due at once (spec change, reconcile-requested-at annotation)."""
        self._entries.pop(uid, None)

    def forget(self, uid: str) -> None:
        self._entries.pop(uid, None)

    def plan(self, uid: str, result: Result, *, resync_seconds: float | None = None) -> float:
        """Record when ``uid`` is due after ``result``; return the delay chosen.

        ``resync_seconds`` overrides the steady-state interval for this object's kind.
        """
        failures = 0
        if result.problem is not None and not result.problem.backoff:
            delay = result.requeue_after or 30.0
        elif result.problem is not None:
            previous = self._entries.get(uid)
            failures = (previous.failures if previous else 0) + 1
            base = result.requeue_after or 30.0
            # Backoff doubles per consecutive failure, capped (but never below the asked delay).
            cap = result.problem.max_backoff or MAX_BACKOFF_SECONDS
            delay = min(base * 2.0 ** (failures - 1), max(base, cap))
        elif result.requeue_after is not None:
            delay = result.requeue_after
        else:
            resync = resync_seconds or self.resync_seconds
            delay = resync * (1 + self._rng.uniform(-self._jitter, self._jitter))
        self._entries[uid] = _Entry(due=self._clock() + delay, failures=failures)
        return delay


class Locks:
    """One asyncio lock per object: a timer tick and a change handler never overlap."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def of(self, uid: str) -> asyncio.Lock:
        return self._locks.setdefault(uid, asyncio.Lock())

    def forget(self, uid: str) -> None:
        self._locks.pop(uid, None)
