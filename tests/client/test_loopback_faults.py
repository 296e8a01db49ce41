"""Retries and ambiguous creates against the emulator's fault injection."""

from __future__ import annotations

import httpx
import pytest

from ncc_emulator import endpoints
from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import (
    ErrorKind,
    OutcomeUnknown,
    RequestEvent,
    ResourceExhausted,
    classify,
)

from .fakes import FakeClock
from .loopback import STORAGE, connect, storage_rule


async def test_throttled_requests_are_retried_after_retry_after(emulator: RunningEmulator) -> None:
    events: list[RequestEvent] = []
    clock = FakeClock()  # the client sleeps on a fake clock: Retry-After is recorded, not waited
    async with await connect(emulator, clock=clock, hook=events.append) as client:
        emulator.admin.set_faults(rate_429=0.5, retry_after=3, seed=7)
        emulator.admin.reset_counts()
        names = [f"throttled-{i}" for i in range(6)]
        for name in names:  # POSTs included: a 429 was rejected before processing
            await client.create_network_connectivity_configuration(name, "eastus2")
        listed = await client.list_network_connectivity_configurations()
        emulator.admin.clear_faults()
    assert sorted(n.name or "" for n in listed) == names  # every create landed exactly once
    throttled = [e for e in events if e.status == 429]
    assert throttled
    assert all(e.outcome == "retry" for e in throttled)
    assert clock.sleeps == [3.0] * len(throttled)
    counts = emulator.admin.request_counts()
    assert counts[endpoints.CREATE_NCC.key] + counts[endpoints.LIST_NCCS.key] == len(events)


async def test_slow_create_is_outcome_unknown_then_found_by_natural_key(
    emulator: RunningEmulator,
) -> None:
    async with await connect(emulator) as setup:
        ncc = await setup.create_network_connectivity_configuration("slow-ncc", "eastus2")
    ncc_id = ncc.network_connectivity_config_id or ""
    emulator.admin.set_faults(slow_create_seconds=1.5)
    emulator.admin.reset_counts()
    async with await connect(emulator, timeout=httpx.Timeout(0.5)) as client:
        with pytest.raises(OutcomeUnknown):
            await client.create_private_endpoint_rule(ncc_id, storage_rule(3))
        assert emulator.admin.request_counts()[endpoints.CREATE_RULE.key] == 1  # never re-sent
        emulator.admin.clear_faults()
        matches = [
            r
            for r in await client.list_private_endpoint_rules(ncc_id)
            if r.resource_id == f"{STORAGE}3"
        ]
    assert len(matches) == 1


async def test_dropped_connections_are_retried_for_reads(emulator: RunningEmulator) -> None:
    events: list[RequestEvent] = []
    async with await connect(emulator, clock=FakeClock(), hook=events.append) as client:
        ncc = await client.create_network_connectivity_configuration("drop-ncc", "eastus2")
        emulator.admin.set_faults(drop_connection_rate=0.5, seed=3)
        for _ in range(6):
            got = await client.get_network_connectivity_configuration(
                ncc.network_connectivity_config_id or ""
            )
            assert got.name == "drop-ncc"
        emulator.admin.clear_faults()
    assert any(e.status is None and e.outcome == "retry" for e in events)


async def test_server_error_on_create_is_outcome_unknown_and_never_duplicates(
    emulator: RunningEmulator,
) -> None:
    events: list[RequestEvent] = []
    async with await connect(emulator, hook=events.append) as client:
        ncc = await client.create_network_connectivity_configuration("err5xx-ncc", "eastus2")
        ncc_id = ncc.network_connectivity_config_id or ""
        emulator.admin.set_faults(rate_5xx=1.0, status_5xx=503)
        with pytest.raises(OutcomeUnknown) as caught:
            await client.create_private_endpoint_rule(ncc_id, storage_rule(5))
        emulator.admin.clear_faults()
        found = [
            r for r in await client.list_private_endpoint_rules(ncc_id)
            if r.resource_id == f"{STORAGE}5"
        ]  # fmt: skip
    assert caught.value.status_code == 503
    # The emulator answers an injected 5xx before it handles the request (docs/emulator.md):
    # nothing landed, and the client sent the POST once (a POST is never re-sent on a 5xx).
    assert found == []
    posts = emulator.admin.request_counts()[endpoints.CREATE_RULE.key]
    assert posts == 1
    assert [e.outcome for e in events if e.method == "POST" and e.status == 503] == [
        "outcome_unknown"
    ]


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_reads_answered_5xx_are_retried_until_they_succeed(
    emulator: RunningEmulator, status: int
) -> None:
    """A few unlucky 5xx draws must not fail a GET (it used to park the object for minutes)."""
    failures: list[RequestEvent] = []

    def heal_after_two(event: RequestEvent) -> None:
        if event.status == status:
            failures.append(event)
            if len(failures) == 2:
                emulator.admin.clear_faults()  # the next attempt finds the service healthy

    async with await connect(emulator, clock=FakeClock(), hook=heal_after_two) as client:
        ncc = await client.create_network_connectivity_configuration("flaky-ncc", "eastus2")
        emulator.admin.set_faults(rate_5xx=1.0, status_5xx=status)
        emulator.admin.reset_counts()
        got = await client.get_network_connectivity_configuration(
            ncc.network_connectivity_config_id or ""
        )
    assert got.name == "flaky-ncc"
    assert [e.outcome for e in failures] == ["retry", "retry"]
    assert emulator.admin.request_counts()[endpoints.GET_NCC.key] == 3


async def test_create_answered_500_is_sent_once(emulator: RunningEmulator) -> None:
    async with await connect(emulator, clock=FakeClock()) as client:
        ncc = await client.create_network_connectivity_configuration("once-ncc", "eastus2")
        emulator.admin.set_faults(rate_5xx=1.0, status_5xx=500)
        emulator.admin.reset_counts()
        with pytest.raises(OutcomeUnknown):
            await client.create_private_endpoint_rule(
                ncc.network_connectivity_config_id or "", storage_rule(7)
            )
        emulator.admin.clear_faults()
    assert emulator.admin.request_counts()[endpoints.CREATE_RULE.key] == 1


async def test_quota_is_not_retried_and_left_to_the_operator(emulator: RunningEmulator) -> None:
    emulator.admin.configure(limits={"nccs_per_region": 1})
    clock = FakeClock()
    async with await connect(emulator, clock=clock) as client:
        await client.create_network_connectivity_configuration("first", "eastus2")
        emulator.admin.reset_counts()
        with pytest.raises(ResourceExhausted) as caught:
            await client.create_network_connectivity_configuration("second", "eastus2")
    assert emulator.admin.request_counts()[endpoints.CREATE_NCC.key] == 1
    assert clock.sleeps == []
    assert classify(caught.value) is ErrorKind.TRANSIENT  # the operator backs off (minutes)
