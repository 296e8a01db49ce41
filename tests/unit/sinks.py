"""A sink that records nothing, for tests that look at results, not at events or metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ncc_operator.reconcile import EventReason


class NullSink:
    def event(self, *, warning: bool, reason: EventReason, message: str) -> None:
        pass

    def reconciled(self, *, action: str, outcome: str, seconds: float) -> None:
        pass

    def settled(self, status: Mapping[str, Any], *, released: bool) -> None:
        pass
