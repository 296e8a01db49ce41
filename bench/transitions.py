"""Realistic transitions (``--transitions``): rules CREATING for 1 to 3 minutes, each its own time
(the emulator's ``creating_jitter_seconds``), and the endpoint owner approving each one at a
random moment after it turned PENDING — as at Databricks, where neither is in anyone's hands.

The figure is the time from ESTABLISHED at Databricks (the moment of the owner's approval) to
``Ready=True`` on the object, per rule: DESIGN's target is the fast interval + 2 s at p99, with
Databricks reads per minute still O(NCCs).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ncc_emulator.testing import EmulatorAdmin

from .watch import StatusWatch

CREATING_SECONDS = 60.0
CREATING_JITTER_SECONDS = 120.0
"""CREATING lasts 60 to 180 s, "a few minutes" (Terraform PF resource; #4559, #5292)."""
APPROVAL_MAX_SECONDS = 120.0
"""The owner approves each rule 0 to 120 s after it turned PENDING."""
POLL_SECONDS = 0.5


@dataclass
class Approver:
    """Approves each PENDING rule once, at a seeded random delay, from a thread; records when."""

    admin: EmulatorAdmin
    max_delay: float = APPROVAL_MAX_SECONDS
    seed: int = 13
    approved_at: dict[str, float] = field(default_factory=dict)
    """rule id → wall-clock time just before its approval was sent (the ESTABLISHED moment, at
    the latest: the latency measured from it can only be longer than the real one)."""
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # a reproducible workload
        self._due: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="approver", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self._step(time.time())
            except Exception as error:  # reported with the results, never lost
                self.errors.append(f"approver: {error!r}")

    def _step(self, now: float) -> None:
        for rule in self.admin.state()["rules"]:
            rule_id = str(rule["rule_id"])
            if rule["connection_state"] == "PENDING" and rule_id not in self._due:
                self._due[rule_id] = now + self._rng.uniform(0.0, self.max_delay)
        for rule_id, due in list(self._due.items()):
            if due <= now and rule_id not in self.approved_at:
                self.approved_at[rule_id] = time.time()
                self.admin.approve(rule_id)


def latencies(watch: StatusWatch, approved_at: dict[str, float], wall_offset: float) -> list[float]:
    """Per rule: seconds from its approval to the first ``Ready=True`` the watch saw.

    ``wall_offset`` = ``time.time() - time.monotonic()`` in this process (the watch keeps
    monotonic times, the approver wall-clock ones)."""
    out = []
    for key, state in watch.objects.items():
        if not key.startswith("privateendpointrules/") or state.ready_at is None:
            continue
        rule_id = watch.status_field(key, "id")
        if rule_id in approved_at:
            out.append(state.ready_at + wall_offset - approved_at[rule_id])
    return out


def summary(
    values: list[float], fast_seconds: float, reads: int, minutes: float, nccs: int
) -> dict[str, Any]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else None
    return {
        "rules": len(ordered),
        "p50_seconds": round(statistics.median(ordered), 2) if ordered else None,
        "p99_seconds": round(p99, 2) if p99 is not None else None,
        "max_seconds": round(ordered[-1], 2) if ordered else None,
        "target_seconds": fast_seconds + 2.0,
        "reads_per_minute": round(reads / minutes, 1) if minutes > 0 else None,
        "reads_per_minute_per_ncc": round(reads / minutes / nccs, 2) if minutes > 0 else None,
    }
