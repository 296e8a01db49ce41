"""The one waiter for every object: :meth:`Schedule.wait_due` sleeps until the earliest due time.

An idle operator must do nothing between due times, however many objects it holds, and an object
made due (a wake-up, a spec change) must run at once, not at some later tick. Each case plans
objects, acts, and says which objects the waiter hands out and in what order. Delays are real
but short (tenths of a second): the waiter sleeps on the event loop's clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ncc_operator.reconcile.contract import Result
from ncc_operator.reconcile.schedule import Schedule


def _in(seconds: float) -> Result:
    return Result(action="observe", requeue_after=seconds)


def _tag(uid: str) -> tuple[str, str, str]:
    return ("Thing", "ns", uid)


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Schedule], None]
    expected: list[str]
    why: str


def _two_in_order(s: Schedule) -> None:
    s.plan("late", _in(0.2), tag=_tag("late"))
    s.plan("early", _in(0.05), tag=_tag("early"))


def _replanned(s: Schedule) -> None:
    s.plan("a", _in(0.05), tag=_tag("a"))
    s.plan("a", _in(0.15), tag=_tag("a"))  # the first item is stale now
    s.plan("b", _in(0.1), tag=_tag("b"))


def _forgotten(s: Schedule) -> None:
    s.plan("gone", _in(0.05), tag=_tag("gone"))
    s.plan("kept", _in(0.1), tag=_tag("kept"))
    s.forget("gone")


def _untagged(s: Schedule) -> None:
    s.plan("no-tag", _in(0.05))
    s.plan("tagged", _in(0.1), tag=_tag("tagged"))


def _tag_kept(s: Schedule) -> None:
    s.plan("a", _in(0.2), tag=_tag("a"))
    s.plan("a", _in(0.05))  # a later plan without a tag keeps the object's tag


CASES = [
    Case("earliest-first", _two_in_order, ["early", "late"], "handed out by due time"),
    Case("replanned", _replanned, ["b", "a"], "only the latest plan counts, once"),
    Case("forgotten", _forgotten, ["kept"], "a released or deleted object never runs"),
    Case("untagged", _untagged, ["tagged"], "nothing to run for an object without a tag"),
    Case("tag-kept", _tag_kept, ["a"], "the tag outlives a plan that gives none"),
]


async def _collect(schedule: Schedule, count: int) -> list[str]:
    got: list[str] = []
    while len(got) < count:
        got += [uid for uid, _ in await schedule.wait_due()]
    return got


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_the_waiter_hands_out_what_is_due_in_order(case: Case) -> None:
    schedule = Schedule()
    case.setup(schedule)
    got = await asyncio.wait_for(_collect(schedule, len(case.expected)), 2.0)
    assert got == case.expected, case.why
    # Nothing else comes out: every item left is stale or belongs to a handed-out object.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(schedule.wait_due(), 0.3)


async def test_a_wake_up_reaches_a_waiter_asleep_until_a_later_time() -> None:
    schedule = Schedule()
    schedule.plan("dependent", _in(60.0), tag=_tag("dependent"))
    waiter = asyncio.create_task(schedule.wait_due())
    await asyncio.sleep(0.05)
    assert not waiter.done(), "nothing is due for a minute"
    started = time.monotonic()
    schedule.now("dependent")
    due = await asyncio.wait_for(waiter, 1.0)
    assert [uid for uid, _ in due] == ["dependent"]
    assert time.monotonic() - started < 0.5, "woken at once, not at the planned time"


async def test_now_on_an_object_never_planned_changes_nothing() -> None:
    # Its change handler runs it; the waiter has nothing to run it with (no tag).
    schedule = Schedule()
    schedule.now("unknown")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(schedule.wait_due(), 0.2)
    assert schedule.due("unknown"), "a never-planned object is due for any pass"


async def test_a_retry_keeps_a_failed_scheduled_pass_in_the_schedule() -> None:
    schedule = Schedule()
    schedule.plan("flaky", _in(0.01), tag=_tag("flaky"))
    assert [uid for uid, _ in await asyncio.wait_for(schedule.wait_due(), 1.0)] == ["flaky"]
    schedule.plan_retry("flaky", delay=0.05)
    assert [uid for uid, _ in await asyncio.wait_for(schedule.wait_due(), 1.0)] == ["flaky"]
