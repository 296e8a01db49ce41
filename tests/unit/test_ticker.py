"""The scheduler's runner (handlers/ticker.py): a due object runs the pass a handler would.

It takes the object's latest body from the index, writes the pass's patch the way Kopf writes a
handler's (status through the status subresource), forgets an object gone from the index, and
leaves an object being deleted to its delete handler. A status write that fails is not assumed
to have landed: the next pass starts from the body as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest

from ncc_operator.handlers.context import Kind
from ncc_operator.handlers.ticker import Ticker
from ncc_operator.reconcile import (
    Result,
    Subject,
)
from ncc_operator.reconcile.driver import Driver
from ncc_operator.resources.kube import KubeSecrets, KubeUnavailable
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import NccEntry, Ref, ncc_entry
from tests.unit.sinks import InSync, NullSink


class _Adapter:
    kind = "NetworkConnectivityConfig"
    resync_seconds: float | None = None

    def __init__(self) -> None:
        self.bodies: list[Mapping[str, Any]] = []

    def parse(self, body: Mapping[str, Any], context: Any) -> NccEntry:
        self.bodies.append(body)
        return ncc_entry(body)

    def subject(self, entry: NccEntry, *, forced: bool) -> Subject:
        return Subject(kind=self.kind, name="ns/prod", generation=1, status=dict(entry.status))

    async def connect(self, entry: NccEntry, context: Any, *, forced: bool) -> Any:
        return InSync()

    def dependents(self, entry: NccEntry, context: Any) -> list[str]:
        return []

    def observers(self, entry: NccEntry, context: Any) -> list[str]:
        return []


@dataclass
class _Kube:
    """Answers every PATCH with ``status`` (or raises ``fail``); records what was sent."""

    status: int = 200
    fail: Exception | None = None
    sent: list[tuple[str, str, Any]] = field(default_factory=list)

    async def send(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        if self.fail is not None:
            raise self.fail
        self.sent.append((method, path, kwargs.get("json")))
        return httpx.Response(self.status)


def _body(*, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": "prod",
        "namespace": "ns",
        "uid": "uid-1",
        "generation": 1,
        "resourceVersion": "7",
        "creationTimestamp": "2026-12-01T03:00:00Z",
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-12-01T04:00:00Z"
    return {
        "apiVersion": "networking.ncc-operator.io/v1alpha1",
        "kind": "NetworkConnectivityConfig",
        "metadata": meta,
        "spec": {"accountRef": {"name": "main"}, "region": "eastus2"},
        "status": {},
    }


@dataclass(frozen=True)
class Case:
    name: str
    indexed: dict[str, Any] | None
    kube: _Kube
    runs: bool
    written: bool
    still_planned: bool
    why: str


CASES = [
    Case("runs-and-writes", _body(), _Kube(), True, True, True, "the pass a handler would run"),
    Case("gone", None, _Kube(), False, False, False, "left the index: never run again"),
    Case(
        "deleting",
        _body(deleting=True),
        _Kube(),
        False,
        False,
        True,
        "its delete handler runs it at the delay it asked Kopf for",
    ),
    Case(
        "deleted-meanwhile",
        _body(),
        _Kube(status=404),
        True,
        False,
        True,
        "a 404 on the write is not an error: the object is going",
    ),
    Case(
        "api-down",
        _body(),
        _Kube(fail=KubeUnavailable("the Kubernetes API could not be reached")),
        True,
        False,
        True,
        "logged; the next pass redoes the write",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_due_object_runs_the_pass_a_handler_would(case: Case) -> None:
    entry = ncc_entry(case.indexed) if case.indexed is not None else None
    world = SimpleNamespace(
        ncc=lambda ref: entry if ref == Ref("ns", "prod") else None,
        account=lambda ref: None,
        rule=lambda ref: None,
    )
    runtime = cast(Runtime, SimpleNamespace(world=world))
    adapter = _Adapter()
    driver = Driver(sinks=lambda kind, body: NullSink())
    # As after the object's first (handler) pass: planned, due almost at once.
    driver.schedule.plan(
        "uid-1", Result(action="observe", requeue_after=0.01), tag=(adapter.kind, "ns", "prod")
    )
    ticker = Ticker(
        {
            adapter.kind: Kind(
                adapter,
                "networkconnectivityconfigs",
                creates=False,
                indexed=lambda world, ref: world.ncc(ref),
            )
        },
        driver,
        runtime,
        cast(KubeSecrets, case.kube),
    )
    running = asyncio.create_task(ticker.run())
    await asyncio.sleep(0.3)
    running.cancel()
    await ticker.stop()

    assert bool(adapter.bodies) is case.runs, case.why
    if case.runs:
        assert entry is not None
        assert adapter.bodies[0] is entry.body, "the index's body, not a re-read"
    status_writes = [
        s for s in case.kube.sent if s[1].endswith("/networkconnectivityconfigs/prod/status")
    ]
    if case.written:
        (write,) = status_writes
        assert write[2]["status"]["conditions"], "the pass's status, conditions included"
    assert ("uid-1" in driver.schedule._entries) is case.still_planned, case.why
    if case.runs and not case.written:
        assert "uid-1" not in driver._written, "a lost write is not laid over the next body"
