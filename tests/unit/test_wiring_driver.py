"""A change to an object wakes the objects waiting on it (reconcile/driver.py).

A rule refused by its NCC's ``allowedRuleNamespaces`` retries on its own only minutes later;
when the NCC's spec changes, what refused it may be gone, so the NCC's change pass makes its
dependents due at once. A timer tick that changes nothing wakes nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import kopf
import pytest

from ncc_operator.reconcile import (
    Result,
    Subject,
)
from ncc_operator.reconcile.driver import Cause, Driver
from tests.unit.sinks import InSync, NullSink

READY_STATUS = {
    "id": "ncc-1",
    "conditions": [{"type": "Ready", "status": "True", "reason": "Available"}],
}


class _Ncc:
    kind = "NetworkConnectivityConfig"
    resync_seconds: float | None = None

    def parse(self, body: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
        return body

    def subject(self, body: Mapping[str, Any], *, forced: bool) -> Subject:
        return Subject(
            kind=self.kind, name="ns/prod", generation=2, status=dict(body.get("status") or {})
        )

    async def connect(self, body: Mapping[str, Any], context: Any, *, forced: bool) -> Any:
        return InSync()

    def dependents(self, body: Mapping[str, Any], context: Any) -> list[str]:
        return ["refused-rule"]

    def observers(self, body: Mapping[str, Any], context: Any) -> list[str]:
        return []


@dataclass(frozen=True)
class Case:
    cause: Cause
    wakes: bool
    why: str


CASES = [
    Case(Cause.CHANGE, True, "a spec change may lift what refused the dependents"),
    Case(Cause.TICK, False, "a resync of an unchanged, ready object changes nothing for them"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.why for c in CASES])
async def test_a_change_wakes_the_dependents(case: Case) -> None:
    driver = Driver(sinks=lambda kind, body: NullSink())
    driver.schedule.plan("refused-rule", Result("error", requeue_after=120.0))
    body = cast(
        kopf.Body,
        {"metadata": {"uid": "ncc-uid", "name": "prod", "namespace": "ns"}, "status": READY_STATUS},
    )
    await driver.run(_Ncc(), body, cast(kopf.Patch, {}), None, case.cause)
    assert driver.schedule.due("refused-rule") is case.wakes
