"""Wake-ups that reach an object while its pass runs, and coalesced "look again soon" requests.

A pass handed out by :meth:`Schedule.wait_due` may have read the world before another object
changed; a wake-up (``now``) or a summary request (``soon``) that arrives meanwhile must survive
that pass's own plan, or the change stays unseen until the next resync. Each case hands an
object out, acts while it "runs", lets the pass plan its usual resync, and says after how many
seconds the object is due again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ncc_operator.reconcile.contract import Result
from ncc_operator.reconcile.schedule import Schedule


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


TAG = ("NetworkConnectivityConfig", "team", "prod")
RESYNC = 300.0


def schedule(clock: FakeClock) -> Schedule:
    return Schedule(resync_seconds=RESYNC, jitter=0.0, clock=clock, rng=random.Random(1))


async def handed_out(s: Schedule, clock: FakeClock) -> None:
    """Plan ``ncc`` a resync away, make that time come, and let the waiter hand it out."""
    s.plan("ncc", Result("observe"), tag=TAG)
    clock.now += RESYNC
    assert await asyncio.wait_for(s.wait_due(), 1) == [("ncc", TAG)]


@dataclass(frozen=True)
class Case:
    name: str
    during: Callable[[Schedule, FakeClock], None]
    due_after: float
    why: str


def _nothing(s: Schedule, clock: FakeClock) -> None:
    pass


def _now(s: Schedule, clock: FakeClock) -> None:
    s.now("ncc")


def _soon(s: Schedule, clock: FakeClock) -> None:
    s.soon("ncc", 10.0)


def _soon_twice(s: Schedule, clock: FakeClock) -> None:
    s.soon("ncc", 10.0)
    clock.now += 4.0
    s.soon("ncc", 10.0)  # later than the first: the first one holds


CASES = [
    Case("no-wake", _nothing, RESYNC, "nothing changed meanwhile: the pass's resync stands"),
    Case("now", _now, 0.0, "a dependency became usable while the pass ran: run again at once"),
    Case("soon", _soon, 10.0, "a rule changed while its NCC's pass ran: look again within 10 s"),
    Case("soon-coalesced", _soon_twice, 6.0, "two requests, one pass, at the earlier time"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_wake_during_a_pass_outlives_its_plan(case: Case) -> None:
    clock = FakeClock()
    s = schedule(clock)
    await handed_out(s, clock)
    case.during(s, clock)
    delay = s.plan("ncc", Result("observe"))  # the running pass ends with its usual resync
    assert delay == pytest.approx(case.due_after), case.why


@pytest.mark.parametrize(
    ("planned", "ask", "due_after", "why"),
    [
        (300.0, 10.0, 10.0, "due in five minutes: brought forward to the asked 10 s"),
        (3.0, 10.0, 3.0, "due sooner anyway: left as it is (one pass serves both)"),
    ],
)
def test_soon_only_brings_a_due_time_forward(
    planned: float, ask: float, due_after: float, why: str
) -> None:
    clock = FakeClock()
    s = schedule(clock)
    s.plan("ncc", Result("observe", requeue_after=planned), tag=TAG)
    s.soon("ncc", ask)
    clock.now += due_after - 0.01
    assert not s.due("ncc"), why
    clock.now += 0.02
    assert s.due("ncc"), why


def test_soon_for_an_object_never_run_does_nothing() -> None:
    # Its change handler runs it first; a due time made up here would have no tag to run.
    s = schedule(FakeClock())
    s.soon("unknown", 1.0)
    assert s.due("unknown")  # unknown objects are "due" (never planned), and stay unknown
    assert s.plan("unknown", Result("observe")) == pytest.approx(RESYNC)


def test_a_wake_during_an_objects_first_pass_is_kept_for_its_plan() -> None:
    # A rule's first pass (its create handler) finds its NCC without an id; the NCC records
    # one meanwhile and wakes the rule. Before, the wake was dropped ("never run yet") and the
    # rule waited for its ReferenceNotReady retry.
    clock = FakeClock()
    s = schedule(clock)
    s.begin("rule")
    assert not s.due("rule"), "a pass is running: nothing else may start it"
    s.now("rule")
    assert s.plan("rule", Result("error", requeue_after=5.0), tag=TAG) == 0.0
