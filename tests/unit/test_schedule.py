"""When objects are reconciled next: fast while transitional, jittered resync, failure backoff."""

from __future__ import annotations

import random

import pytest

from ncc_operator.reconcile import ReferenceNotReady, Result, Schedule, Transient


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def schedule(clock: FakeClock) -> Schedule:
    return Schedule(resync_seconds=300.0, jitter=0.1, clock=clock, rng=random.Random(7))


def test_unknown_objects_are_due_at_once() -> None:
    # After a restart nothing is recorded: every object is re-observed straight away.
    assert schedule(FakeClock()).due("uid")


def test_an_object_is_known_from_its_first_pass_until_forgotten() -> None:
    # handlers/kinds.py asks this to tell a never-handled object from an event queued behind
    # its first pass.
    plan = schedule(FakeClock())
    assert not plan.known("uid")
    plan.begin("uid")
    assert plan.known("uid")
    plan.plan("uid", Result("observe"))
    assert plan.known("uid")
    plan.forget("uid")
    assert not plan.known("uid")


@pytest.mark.parametrize(
    ("result", "low", "high"),
    [
        pytest.param(Result("observe"), 270.0, 330.0, id="steady-state-resync-jittered"),
        pytest.param(Result("create", requeue_after=10.0), 10.0, 10.0, id="transitional-fast"),
        pytest.param(
            Result("error", requeue_after=7.0, problem=Transient("x")), 7.0, 7.0, id="error-asked"
        ),
    ],
)
def test_plan_picks_the_delay(result: Result, low: float, high: float) -> None:
    clock = FakeClock()
    plan = schedule(clock)
    delay = plan.plan("uid", result)
    assert low <= delay <= high
    assert not plan.due("uid")
    clock.now += delay
    assert plan.due("uid")


def test_consecutive_failures_back_off_and_success_resets() -> None:
    plan = schedule(FakeClock())
    failing = Result("error", requeue_after=10.0, problem=Transient("throttled"))
    delays = [plan.plan("uid", failing) for _ in range(8)]
    assert delays[:4] == [10.0, 20.0, 40.0, 80.0]
    assert max(delays) == 600.0  # capped
    plan.plan("uid", Result("observe"))
    assert plan.plan("uid", failing) == 10.0


def test_now_makes_an_object_due() -> None:
    plan = schedule(FakeClock())
    plan.plan("uid", Result("observe"))
    plan.now("uid")
    assert plan.due("uid")


def test_waiting_on_kubernetes_references_does_not_back_off() -> None:
    # ReferenceNotReady costs no Databricks call: retry at a flat pace so dependents recover fast.
    plan = schedule(FakeClock())
    waiting = Result("error", requeue_after=5.0, problem=ReferenceNotReady("NCC not Ready"))
    assert [plan.plan("uid", waiting) for _ in range(4)] == [5.0, 5.0, 5.0, 5.0]
