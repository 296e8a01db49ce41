"""The leader-election algorithm (ncc_operator.leadership) over an in-memory Lease store.

The store keeps the API server's one rule that matters: a write must carry the current
resourceVersion, else 409. The clock is this replica's own monotonic clock, advanced by hand;
the wall clock written into the Lease is deliberately wrong in some cases, because replicas must
never compare each other's clocks. The same algorithm against the real kube-apiserver, with two
operator processes, is tests/cluster/test_failover.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from ncc_operator.leadership import (
    Elector,
    LeadershipLost,
    LeaseConflict,
    LeaseRecord,
    LeaseUnavailable,
    Timings,
)

TIMINGS = Timings(lease_seconds=8)


class Store:
    """One Lease with optimistic concurrency, and a switch that makes the API unreachable."""

    def __init__(self) -> None:
        self.record: LeaseRecord | None = None
        self.version = 0
        self.down = False
        self.stale: LeaseRecord | None = None
        """Answered once by the next get: what a replica that read earlier still holds."""

    def _check(self) -> None:
        if self.down:
            raise LeaseUnavailable("the Kubernetes API could not be reached")

    async def get(self) -> LeaseRecord | None:
        self._check()
        if self.stale is not None:
            stale, self.stale = self.stale, None
            return stale
        return self.record

    async def create(self, record: LeaseRecord) -> LeaseRecord:
        self._check()
        if self.record is not None:
            raise LeaseConflict("exists")
        return self._store(record)

    async def update(self, record: LeaseRecord) -> LeaseRecord:
        self._check()
        if self.record is None or record.resource_version != self.record.resource_version:
            raise LeaseConflict("stale resourceVersion")
        return self._store(record)

    def _store(self, record: LeaseRecord) -> LeaseRecord:
        self.version += 1
        self.record = replace(record, resource_version=str(self.version))
        return self.record


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def elector(store: Store, clock: Clock, name: str, wall: str = "2026-12-01T00:00:00Z") -> Elector:
    return Elector(store, name, TIMINGS, clock=clock, sleep=clock.sleep, wall=lambda: wall)


async def test_an_absent_lease_is_created_and_held() -> None:
    store, clock = Store(), Clock()
    assert await elector(store, clock, "a").try_acquire_or_renew()
    assert store.record is not None
    assert (store.record.holder, store.record.transitions) == ("a", 0)
    assert store.record.duration_seconds == 8


@pytest.mark.parametrize(
    ("silent_for", "takes_over", "why"),
    [
        (0.0, False, "the holder just renewed (as far as this replica has seen)"),
        (7.9, False, "still inside the lease duration"),
        (8.1, True, "unchanged for longer than the lease duration: the holder is gone"),
    ],
)
async def test_a_lease_held_by_another_is_taken_only_after_it_went_silent(
    silent_for: float, takes_over: bool, why: str
) -> None:
    store, clock = Store(), Clock()
    assert await elector(store, clock, "a").try_acquire_or_renew()
    b = elector(store, clock, "b")
    assert not await b.try_acquire_or_renew()  # b sees a's record for the first time
    clock.now += silent_for
    assert await b.try_acquire_or_renew() is takes_over, why
    assert store.record is not None
    assert store.record.holder == ("b" if takes_over else "a")
    assert store.record.transitions == (1 if takes_over else 0)


async def test_a_renewing_holder_is_never_displaced_whatever_its_wall_clock_says() -> None:
    # a's node clock is a year behind: its renewTime looks ancient. Only change matters.
    store, clock = Store(), Clock()
    a = elector(store, clock, "a", wall="2025-12-01T00:00:00Z")
    b = elector(store, clock, "b")
    assert await a.try_acquire_or_renew()
    for _ in range(20):  # 20 lease durations of renewals every 2 s
        clock.now += 2
        assert await a.try_acquire_or_renew()
        assert not await b.try_acquire_or_renew()
    assert store.record is not None
    assert store.record.holder == "a"


async def test_a_renewal_keeps_the_tenure() -> None:
    store, clock = Store(), Clock()
    a = Elector(store, "a", TIMINGS, clock=clock, sleep=clock.sleep, wall=lambda: str(clock.now))
    assert await a.try_acquire_or_renew()
    first = store.record
    clock.now += 2
    assert await a.try_acquire_or_renew()
    assert first is not None
    assert store.record is not None
    assert store.record.acquire_time == first.acquire_time
    assert store.record.renew_time != first.renew_time
    assert store.record.transitions == first.transitions


async def test_two_standbys_that_both_see_it_expire_elect_exactly_one() -> None:
    store, clock = Store(), Clock()
    assert await elector(store, clock, "a").try_acquire_or_renew()
    b, c = elector(store, clock, "b"), elector(store, clock, "c")
    assert not await b.try_acquire_or_renew()
    assert not await c.try_acquire_or_renew()
    clock.now += 9
    seen = store.record
    assert await b.try_acquire_or_renew()
    # c read the expired record before b's write landed: its update carries the old version.
    store.stale = seen
    assert not await c.try_acquire_or_renew()
    assert store.record is not None
    assert (store.record.holder, store.record.transitions) == ("b", 1)


async def test_a_released_lease_is_taken_at_the_next_poll() -> None:
    store, clock = Store(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    await a.acquire()
    assert not await b.try_acquire_or_renew()
    await a.release()
    assert store.record is not None
    assert store.record.holder == ""
    assert await b.try_acquire_or_renew()  # no lease duration to wait
    assert store.record.holder == "b"


async def test_release_by_a_former_leader_does_not_clear_the_new_one() -> None:
    store, clock = Store(), Clock()
    a, b = elector(store, clock, "a"), elector(store, clock, "b")
    await a.acquire()
    assert not await b.try_acquire_or_renew()
    clock.now += 9
    assert await b.try_acquire_or_renew()
    await a.release()  # a still believes it leads
    assert store.record is not None
    assert store.record.holder == "b"


async def test_hold_raises_as_soon_as_another_replica_holds_the_lease() -> None:
    store, clock = Store(), Clock()
    a = elector(store, clock, "a")
    await a.acquire()
    assert store.record is not None
    store.record = replace(store.record, holder="b", resource_version="x")  # taken over
    with pytest.raises(LeadershipLost, match="held by b"):
        await a.hold()
    assert not a.leading
    assert clock.now - 1000.0 <= TIMINGS.retry  # at the first renewal attempt


async def test_hold_gives_up_after_the_renew_deadline_and_before_the_lease_expires() -> None:
    store, clock = Store(), Clock()
    a = elector(store, clock, "a")
    await a.acquire()
    renewed_at = clock.now
    store.down = True
    with pytest.raises(LeadershipLost, match="not renewed"):
        await a.hold()
    stopped_after = clock.now - renewed_at
    assert TIMINGS.renew_deadline < stopped_after < TIMINGS.lease_seconds, (
        "a leader must stop only after the renew deadline, and before any standby may take over"
    )


async def test_standing_by_survives_an_unreachable_api() -> None:
    store, clock = Store(), Clock()
    store.down = True
    attempts = 0

    async def sleep(seconds: float) -> None:
        nonlocal attempts
        attempts += 1
        clock.now += seconds
        if attempts == 3:
            store.down = False  # the API is back after three failed polls

    a = Elector(store, "a", TIMINGS, clock=clock, sleep=sleep)
    await a.acquire()
    assert a.leading
    assert attempts == 3
