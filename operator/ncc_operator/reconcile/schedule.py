"""When each object is reconciled next, and one lock per object.

The :class:`Schedule` keeps polling in one place: a fast pace while something is transitional,
the jittered resync (default 5 min) at steady state, and exponential backoff for repeated
failures — without any per-poll timestamps in status. Its due times sit in one heap, and
:meth:`Schedule.wait_due` sleeps until the earliest: one waiter for every object, so an idle
operator does nothing between due times, however many objects it holds (a per-object timer
would wake each object every few seconds only to find it not due). Everything lives in memory:
after a restart every object is due at once, which is the resume-time re-observe we want anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from .contract import Result

DEFAULT_RESYNC_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 600.0


Tag = tuple[str, str, str]
"""What to run when an object is due: its kind, namespace and name (with its uid)."""


@dataclass
class _Entry:
    due: float
    failures: int = 0
    tag: Tag | None = None
    running: bool = False
    """Handed out by :meth:`Schedule.wait_due`; the pass it started has not planned yet."""
    wake_at: float | None = None
    """A :meth:`Schedule.soon` that arrived while the pass was running: its plan honours it."""


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
        self._heap: list[tuple[float, int, str]] = []
        """(due, sequence, uid), stale items included: an item counts only while its due time
        is still the object's (a later plan or a forget leaves the old item to be skipped)."""
        self._sequence = itertools.count()
        self._changed = asyncio.Event()

    def known(self, uid: str) -> bool:
        """A pass of ``uid`` ran, or runs, in this process (and it was not forgotten since)."""
        return uid in self._entries

    def due(self, uid: str) -> bool:
        entry = self._entries.get(uid)
        return entry is None or self._clock() >= entry.due

    def now(self, uid: str) -> None:
        """Make the object due at once (spec change, reconcile-requested-at annotation, a
        dependency became usable); its failure count starts again."""
        entry = self._entries.get(uid)
        if entry is None:
            return  # never run yet: its change handler runs it
        if entry.running:
            # Its pass may have read the world before the change: run again once it is done
            # (a new due time now would be dropped as "not due" once that pass plans).
            entry.wake_at = self._clock()
            return
        self._set(uid, _Entry(due=self._clock(), tag=entry.tag))

    def begin(self, uid: str) -> None:
        """A pass of ``uid`` starts (a change handler's or a scheduled one): wake-ups that
        arrive before it plans are kept for its plan (see :meth:`now`), also for an object
        never planned yet, whose first pass may have read the world before the change."""
        entry = self._entries.get(uid)
        if entry is None:
            self._entries[uid] = _Entry(due=math.inf, running=True)
        else:
            entry.running = True

    def soon(self, uid: str, delay: float) -> None:
        """Make the object due within ``delay`` s unless it is due sooner anyway: what many
        changes of other objects ask for (an NCC summarising its rules), one pass for all of
        them. A request that arrives while the object's pass runs is kept for that pass's plan,
        since the pass may have read the world before the change."""
        entry = self._entries.get(uid)
        if entry is None:
            return
        at = self._clock() + delay
        if entry.running:
            entry.wake_at = at if entry.wake_at is None else min(entry.wake_at, at)
        elif at < entry.due:
            self._set(uid, _Entry(due=at, failures=entry.failures, tag=entry.tag))

    def forget(self, uid: str) -> None:
        self._entries.pop(uid, None)

    def plan_retry(self, uid: str, delay: float = 30.0) -> None:
        """Due again after ``delay`` s: a pass that failed outside the engine (which plans every
        outcome itself) must not drop the object from the schedule."""
        entry = self._entries.get(uid)
        if entry is not None:
            self._set(uid, _Entry(self._clock() + delay, entry.failures, entry.tag))

    async def wait_due(self) -> list[tuple[str, Tag]]:
        """Sleep until at least one object is due; return every due ``(uid, tag)``, earliest
        first. A returned object is not returned again until it is planned again (or made due
        with :meth:`now`)."""
        while True:
            now = self._clock()
            due: list[tuple[str, Tag]] = []
            while self._heap and self._heap[0][0] <= now:
                at, _, uid = heapq.heappop(self._heap)
                entry = self._entries.get(uid)
                if entry is not None and entry.due == at and entry.tag is not None:
                    # Popped, so handed out once; the pass it starts plans the next time.
                    entry.running = True
                    due.append((uid, entry.tag))
            if due:
                return due
            self._changed.clear()
            timeout = self._heap[0][0] - now if self._heap else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def _set(self, uid: str, entry: _Entry) -> None:
        self._entries[uid] = entry
        earliest = self._heap[0][0] if self._heap else None
        heapq.heappush(self._heap, (entry.due, next(self._sequence), uid))
        if earliest is None or entry.due < earliest:
            self._changed.set()  # the waiter sleeps until a later time: wake it

    def plan(
        self,
        uid: str,
        result: Result,
        *,
        resync_seconds: float | None = None,
        tag: Tag | None = None,
    ) -> float:
        """Record when ``uid`` is due after ``result``; return the delay chosen.

        ``resync_seconds`` overrides the steady-state interval for this object's kind; ``tag``
        is what :meth:`wait_due` hands back for it (None: the object is not run when due).
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
        previous = self._entries.get(uid)
        if tag is None and previous is not None:
            tag = previous.tag
        now = self._clock()
        if previous is not None and previous.wake_at is not None:
            delay = min(delay, max(previous.wake_at - now, 0.0))
        self._set(uid, _Entry(due=now + delay, failures=failures, tag=tag))
        return delay


class Locks:
    """One asyncio lock per object: a scheduled pass and a change handler never overlap."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def of(self, uid: str) -> asyncio.Lock:
        return self._locks.setdefault(uid, asyncio.Lock())

    def forget(self, uid: str) -> None:
        self._locks.pop(uid, None)
