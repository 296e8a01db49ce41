"""A sink that records nothing, for tests that look at results, not at events or metrics; and
an external client whose object is always there and in sync, for tests of the wiring."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ncc_operator.reconcile import (
    Creation,
    Deletion,
    EventReason,
    Observation,
    Readiness,
    Update,
)


class NullSink:
    def event(self, *, warning: bool, reason: EventReason, message: str) -> None:
        pass

    def reconciled(self, *, action: str, outcome: str, seconds: float) -> None:
        pass

    def settled(self, status: Mapping[str, Any], *, released: bool) -> None:
        pass


class InSync:
    """An external object that exists, is ready and matches the spec: nothing is ever written."""

    async def observe(self) -> Observation:
        return Observation(
            exists=True, external_id="ncc-1", readiness=Readiness(True, "Available", "ok")
        )

    async def create(self) -> Creation:
        raise AssertionError("nothing to create")

    async def update(self, seen: Observation) -> Update:
        raise AssertionError("nothing to update")

    async def delete(self, seen: Observation) -> Deletion:
        raise AssertionError("nothing to delete")
