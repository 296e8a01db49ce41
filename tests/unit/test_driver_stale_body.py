"""Two passes over one resourceVersion: the second sees the status the first patched.

Kopf applies a handler's status patch after the handler returns, so a timer tick and a change
handler can start from the same body. Without care the second pass "adopts" the rule the first
just created and repeats its events (found by the PrivateEndpointRule cluster tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import kopf

from ncc_operator.reconcile import (
    Creation,
    Deletion,
    EventReason,
    ExternalClient,
    Observation,
    Readiness,
    Result,
    Subject,
    Update,
)
from ncc_operator.reconcile.driver import Cause, Driver


class _Sink:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    def event(self, *, warning: bool, reason: EventReason, message: str) -> None:
        self.reasons.append(str(reason))

    def reconciled(self, *, action: str, outcome: str, seconds: float) -> None:
        pass

    def settled(self, status: Mapping[str, Any], *, released: bool) -> None:
        pass


class _Thing:
    """One external object: created on the first pass, then found by its id (or natural key)."""

    def __init__(self) -> None:
        self.created: str | None = None
        self.creates = 0

    def client(self, status: Mapping[str, Any]) -> ExternalClient:
        thing = self

        class _Client:
            async def observe(self) -> Observation:
                if thing.created is None:
                    return Observation(exists=False)
                known = status.get("id")
                return Observation(
                    exists=True,
                    external_id=thing.created,
                    adopted=known != thing.created,
                    readiness=Readiness(False, "AwaitingApproval", "pending"),
                )

            async def create(self) -> Creation:
                thing.creates += 1
                thing.created = f"id-{thing.creates}"
                return Creation(
                    thing.created, readiness=Readiness(False, "AwaitingApproval", "pending")
                )

            async def update(self, seen: Observation) -> Update:
                raise AssertionError("no update expected")

            async def delete(self, seen: Observation) -> Deletion:
                raise AssertionError("no delete expected")

        return _Client()


class _Adapter:
    kind = "Thing"
    resync_seconds: float | None = None

    def __init__(self, thing: _Thing, sink: _Sink) -> None:
        self.thing, self._sink = thing, sink

    def parse(self, body: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
        return body

    def subject(self, body: Mapping[str, Any], *, forced: bool) -> Subject:
        return Subject(
            kind=self.kind, name="ns/x", generation=1, status=dict(body.get("status") or {})
        )

    async def connect(self, body: Mapping[str, Any], context: Any, *, forced: bool) -> Any:
        return self.thing.client(dict(body.get("status") or {}))

    def dependents(self, body: Mapping[str, Any], context: Any) -> list[str]:
        return ["dependent-uid"]

    def observers(self, body: Mapping[str, Any], context: Any) -> list[str]:
        return []


def _body(version: str, status: Mapping[str, Any] | None = None) -> kopf.Body:
    raw: dict[str, Any] = {
        "metadata": {"uid": "u1", "name": "x", "namespace": "ns", "resourceVersion": version},
        "spec": {},
    }
    if status is not None:
        raw["status"] = dict(status)
    return cast(kopf.Body, raw)


async def test_second_pass_over_the_same_version_does_not_adopt_or_repeat_events() -> None:
    thing, sink = _Thing(), _Sink()
    adapter = _Adapter(thing, sink)
    driver = Driver(sinks=lambda kind, body: sink)
    first: dict[str, Any] = {}
    await driver.run(adapter, _body("1"), cast(kopf.Patch, first), None, Cause.TICK)
    assert first["status"]["id"] == "id-1"
    # The create handler's body is newer (Kopf added its finalizer) but predates that patch.
    second: dict[str, Any] = {}
    await driver.run(adapter, _body("2"), cast(kopf.Patch, second), None, Cause.CHANGE)
    assert thing.creates == 1
    assert sink.reasons == ["Created", "AwaitingApproval"]
    assert second == {}


async def test_a_lost_patch_is_redone_by_the_pass_after() -> None:
    thing, sink = _Thing(), _Sink()
    driver = Driver(sinks=lambda kind, body: sink)
    adapter = _Adapter(thing, sink)
    await driver.run(adapter, _body("1"), cast(kopf.Patch, {}), None, Cause.CHANGE)
    # The patch never landed: one pass trusts what it wrote, the next acts on what it sees.
    quiet: dict[str, Any] = {}
    await driver.run(adapter, _body("1"), cast(kopf.Patch, quiet), None, Cause.CHANGE)
    assert quiet == {}
    redo: dict[str, Any] = {}
    await driver.run(adapter, _body("1"), cast(kopf.Patch, redo), None, Cause.CHANGE)
    assert redo["status"]["id"] == "id-1"
    assert thing.creates == 1


async def test_recording_an_id_wakes_the_dependents_at_once() -> None:
    # Rules wait on their NCC's id with a flat retry; the NCC's pass that records it wakes them.
    thing, sink = _Thing(), _Sink()
    driver = Driver(sinks=lambda kind, body: sink)
    driver.schedule.plan("dependent-uid", Result("error", requeue_after=60.0))
    assert not driver.schedule.due("dependent-uid")
    await driver.run(_Adapter(thing, sink), _body("1"), cast(kopf.Patch, {}), None, Cause.TICK)
    assert driver.schedule.due("dependent-uid")
