"""Leader election on a ``coordination.k8s.io/v1`` Lease: which of several replicas acts.

The algorithm is client-go's ``leaderelection`` (the Kubernetes convention every controller
follows), over any :class:`LeaseApi`; the Kubernetes transport is
:class:`ncc_operator.resources.kube.KubeLeases` and the wiring is ``handlers/launch.py``.

- **Acquire**: the Lease is free when it has no holder, or when its record has not changed for
  ``leaseDurationSeconds`` *as measured on this replica's own monotonic clock* since this replica
  last saw it change. Replicas never compare each other's wall clocks (``renewTime`` is
  informative only), so clock skew between nodes cannot make two leaders.
- **Write with optimistic concurrency**: every create or update carries the ``resourceVersion``
  that was read; of two replicas that both saw the Lease expire, the API server accepts exactly
  one and answers 409 to the other.
- **Renew** every ``retry`` seconds. A leader that has not renewed for ``renew_deadline`` seconds
  (shorter than the lease duration), or that finds another holder, has lost: :meth:`Elector.hold`
  raises :class:`LeadershipLost` and the caller stops acting at once, *before* a standby may
  take over (the standby waits the whole lease duration).
- **Release** on a clean shutdown: the holder is cleared, so a standby takes over at its next
  poll instead of after a whole lease duration (rolling updates hand over in about ``retry``).

Why not Kopf's own peering: it needs its own cluster-wide CRDs, and operators of equal priority
all pause (kopf #734) — not an election.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

logger = logging.getLogger(__name__)

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class LeaseError(Exception):
    """Base of the election's own errors."""


class LeaseConflict(LeaseError):  # noqa: N818  (an answer, not a programming error)
    """The Lease changed since it was read (409), or was created by another replica."""


class LeaseUnavailable(LeaseError):  # noqa: N818  (a state of the API)
    """The Lease could not be read or written (API unreachable, 5xx, forbidden)."""


class LeadershipLost(LeaseError):  # noqa: N818  (a state of this replica)
    """This replica may no longer act: another holds the Lease, or renewal failed too long."""


@dataclass(frozen=True)
class LeaseRecord:
    """The fields of a Lease's ``spec`` that the election uses, plus its resourceVersion."""

    holder: str = ""
    duration_seconds: int = 0
    acquire_time: str | None = None
    renew_time: str | None = None
    transitions: int = 0
    resource_version: str | None = None

    def same_as(self, other: LeaseRecord | None) -> bool:
        """Whether the record is unchanged (client-go compares the whole record)."""
        return other is not None and (
            self.holder,
            self.renew_time,
            self.resource_version,
        ) == (other.holder, other.renew_time, other.resource_version)


class LeaseApi(Protocol):
    """One named Lease. Calls are bounded by the implementation's own timeout."""

    async def get(self) -> LeaseRecord | None:
        """The Lease, or None when it does not exist."""
        ...

    async def create(self, record: LeaseRecord) -> LeaseRecord:
        """Raises :class:`LeaseConflict` when it already exists."""
        ...

    async def update(self, record: LeaseRecord) -> LeaseRecord:
        """Replace the spec if ``record.resource_version`` is current, else
        :class:`LeaseConflict`."""
        ...


@dataclass(frozen=True)
class Timings:
    """Lease duration and the two intervals derived from it (client-go's 15/10/2 s, scaled)."""

    lease_seconds: int = 8

    @property
    def renew_deadline(self) -> float:
        # Well inside the lease: a leader that cannot renew stops before anyone may take over.
        return self.lease_seconds * 0.7

    @property
    def retry(self) -> float:
        return self.lease_seconds / 4


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Elector:
    """Acquire, hold and release one Lease as ``identity``."""

    def __init__(
        self,
        api: LeaseApi,
        identity: str,
        timings: Timings = Timings(),  # frozen: one shared default is safe
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        wall: Callable[[], str] = _now,
    ) -> None:
        self.identity = identity
        self.timings = timings
        self._api = api
        self._clock = clock
        self._sleep = sleep
        self._wall = wall
        self._observed: LeaseRecord | None = None
        self._observed_at = 0.0
        self.last_contact: float | None = None
        """Monotonic time of the last successful Lease read (the standby's health signal)."""
        self.leading = False

    async def try_acquire_or_renew(self) -> bool:
        """One attempt; True when this replica holds the Lease afterwards."""
        current = await self._api.get()
        now = self._clock()
        self.last_contact = now
        if current is None:
            return await self._write(self._api.create, self._record(None))
        if not current.same_as(self._observed):
            self._observed, self._observed_at = current, now
        held_by_other = current.holder not in ("", self.identity)
        duration = current.duration_seconds or self.timings.lease_seconds
        if held_by_other and now < self._observed_at + duration:
            return False
        return await self._write(self._api.update, self._record(current))

    async def acquire(self) -> None:
        """Return once this replica is the leader (poll every ``retry`` seconds)."""
        waiting_logged = False
        while True:
            try:
                if await self.try_acquire_or_renew():
                    self.leading = True
                    logger.info("Became the leader (Lease holder %s)", self.identity)
                    return
            except LeaseUnavailable as error:
                logger.warning("Could not read or write the leader Lease: %s", error)
            else:
                if not waiting_logged and self._observed is not None:
                    logger.info(
                        "Standing by: the leader Lease is held by %s", self._observed.holder
                    )
                    waiting_logged = True
            await self._sleep(self.timings.retry)

    async def hold(self) -> None:
        """Renew until leadership is lost; then raise :class:`LeadershipLost` (never returns)."""
        last_renewal = self._clock()
        while True:
            await self._sleep(self.timings.retry)
            try:
                renewed = await self.try_acquire_or_renew()
            except LeaseUnavailable as error:
                logger.warning("Could not renew the leader Lease: %s", error)
                renewed = False
            if renewed:
                last_renewal = self._clock()
                continue
            observed = self._observed
            if observed is not None and observed.holder not in ("", self.identity):
                self.leading = False
                raise LeadershipLost(f"the leader Lease is now held by {observed.holder}")
            if self._clock() - last_renewal > self.timings.renew_deadline:
                self.leading = False
                raise LeadershipLost(
                    f"the leader Lease was not renewed for {self.timings.renew_deadline:g} s"
                )

    async def release(self) -> None:
        """Give the Lease up if this replica holds it (best effort: it expires anyway)."""
        if not self.leading:
            return
        self.leading = False
        try:
            current = await self._api.get()
            if current is None or current.holder != self.identity:
                return
            await self._api.update(
                replace(current, holder="", duration_seconds=1, renew_time=self._wall())
            )
            logger.info("Released the leader Lease")
        except (LeaseConflict, LeaseUnavailable) as error:
            logger.warning("Could not release the leader Lease (it expires by itself): %s", error)

    def _record(self, current: LeaseRecord | None) -> LeaseRecord:
        wall = self._wall()
        if current is not None and current.holder == self.identity:
            # A renewal: the same tenure, only the renew time moves.
            return replace(current, duration_seconds=self.timings.lease_seconds, renew_time=wall)
        return LeaseRecord(
            holder=self.identity,
            duration_seconds=self.timings.lease_seconds,
            acquire_time=wall,
            renew_time=wall,
            transitions=0 if current is None else current.transitions + 1,
            resource_version=None if current is None else current.resource_version,
        )

    async def _write(
        self, call: Callable[[LeaseRecord], Awaitable[LeaseRecord]], record: LeaseRecord
    ) -> bool:
        try:
            written = await call(record)
        except LeaseConflict:
            return False
        self._observed, self._observed_at = written, self._clock()
        return True
