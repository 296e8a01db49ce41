"""The bench's realistic transitions (bench/transitions.py): the owner approves each PENDING rule
once, at its own random time, and the figure is each rule's approval → Ready=True."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import transitions
from bench.watch import ObjectState, StatusWatch


class FakeAdmin:
    """The two admin calls the approver makes, over a list of rules."""

    def __init__(self, states: dict[str, str]) -> None:
        self.states = states
        self.approved: list[str] = []

    def state(self) -> dict[str, Any]:
        return {"rules": [{"rule_id": r, "connection_state": s} for r, s in self.states.items()]}

    def approve(self, rule_id: str) -> dict[str, Any]:
        self.approved.append(rule_id)
        self.states[rule_id] = "ESTABLISHED"
        return {}


def test_each_pending_rule_is_approved_once_at_its_own_time() -> None:
    admin = FakeAdmin({"a": "PENDING", "b": "CREATING", "c": "PENDING"})
    approver = transitions.Approver(admin, max_delay=10.0)  # type: ignore[arg-type]
    approver._step(1000.0)  # one step of the approver's loop, without its thread
    assert admin.approved == [], "nothing is due the instant it is seen"
    admin.states["b"] = "PENDING"
    approver._step(1005.0)
    approver._step(1011.0)
    assert {"a", "c"} <= set(admin.approved), "due within 10 s of being seen"
    approver._step(1030.0)
    assert sorted(admin.approved) == ["a", "b", "c"]
    assert len(admin.approved) == 3, "never twice"
    assert set(approver.approved_at) == {"a", "b", "c"}


def _watch(objects: dict[str, tuple[str, float | None]]) -> StatusWatch:
    watch = StatusWatch("https://unused", None, "ns")  # type: ignore[arg-type]
    for key, (rule_id, ready_at) in objects.items():
        watch.objects[key] = ObjectState(status=json.dumps({"id": rule_id}), ready_at=ready_at)
    return watch


def test_latency_is_from_approval_to_first_ready_on_the_wall_clock() -> None:
    watch = _watch(
        {
            "privateendpointrules/r1": ("id-1", 50.0),
            "privateendpointrules/r2": ("id-2", None),  # never Ready: not counted
            "networkconnectivityconfigs/n": ("ncc", 10.0),  # not a rule
        }
    )
    # monotonic 50 is wall 1050 (offset 1000); approved at wall 1047.5
    assert transitions.latencies(watch, {"id-1": 1047.5, "id-2": 1000.0}, 1000.0) == [2.5]


@pytest.mark.parametrize(
    ("values", "p99", "reason"),
    [
        pytest.param([1.0] * 99 + [30.0], 30.0, "one slow rule of 100 is the p99", id="100"),
        pytest.param([2.0, 1.0, 3.0], 3.0, "few rules: the p99 is the slowest", id="3"),
        pytest.param([], None, "no approved rule became Ready: not measured", id="none"),
    ],
)
def test_summary(values: list[float], p99: float | None, reason: str) -> None:
    got = transitions.summary(values, fast_seconds=10.0, reads=120, minutes=2.0, nccs=3)
    assert got["p99_seconds"] == p99, reason
    assert got["target_seconds"] == 12.0
    assert got["reads_per_minute_per_ncc"] == 20.0
