"""Bounded waits on the API path: call deadlines, a too-low client rate limit, create capacity."""

from __future__ import annotations

import asyncio
import time

import pytest

from ncc_emulator import endpoints
from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import (
    ClientRateLimitTooLow,
    DatabricksAccountClient,
    DatabricksConnectionError,
    ErrorKind,
    OutcomeUnknown,
    RateLimit,
    RetryPolicy,
    classify,
)

from .fakes import static_auth
from .loopback import connect, storage_rule
from .netfaults import black_hole, refused_port

DEADLINE = 2.0
SLACK = 1.5


def _client(port: int) -> DatabricksAccountClient:
    return DatabricksAccountClient(
        host=f"http://127.0.0.1:{port}",
        account_id="acc",
        auth=static_auth,
        retry_policy=RetryPolicy(deadline_seconds=DEADLINE, rng=lambda: 0.0),
    )


@pytest.mark.parametrize(
    ("host", "method", "error"),
    [
        pytest.param("refused", "GET", DatabricksConnectionError, id="refused-get"),
        pytest.param("refused", "POST", DatabricksConnectionError, id="refused-post-never-sent"),
        pytest.param("black-hole", "GET", DatabricksConnectionError, id="silent-get"),
        pytest.param("black-hole", "POST", OutcomeUnknown, id="silent-post-may-have-landed"),
    ],
)
async def test_a_call_gives_up_at_its_deadline(
    host: str, method: str, error: type[Exception]
) -> None:
    """The deadline covers every attempt, retry sleeps and the wait for an answer (httpx's read
    timeout alone is 60 s per attempt)."""
    with black_hole() as hole:
        port = refused_port() if host == "refused" else hole
        async with _client(port) as client:
            call = (
                client.get_workspace(1)
                if method == "GET"
                else client.create_network_connectivity_configuration("n", "eastus2")
            )
            started = time.monotonic()
            with pytest.raises(error) as caught:
                await call
            elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK, elapsed
    expected = ErrorKind.OUTCOME_UNKNOWN if error is OutcomeUnknown else ErrorKind.TRANSIENT
    assert classify(caught.value) is expected


async def test_a_rate_limit_too_low_to_serve_fails_fast(emulator: RunningEmulator) -> None:
    """1e-9 requests/s would park the second call for ~30 years: refuse instead of sleeping."""
    limit = RateLimit(requests_per_second=1e-9, burst=1)
    async with await connect(emulator, rate_limit=limit) as client:
        await client.list_workspaces()  # the burst token
        started = time.monotonic()
        with pytest.raises(ClientRateLimitTooLow, match="rate limit") as caught:
            await asyncio.wait_for(client.list_workspaces(), timeout=5)
    assert time.monotonic() - started < 1.0
    assert classify(caught.value) is ErrorKind.TRANSIENT


async def test_slow_creates_leave_capacity_for_reads(emulator: RunningEmulator) -> None:
    """Eight slow creates with four slots: a read still goes through at once."""
    latency = 1.0
    async with await connect(emulator, rate_limit=RateLimit(max_concurrency=4)) as client:
        ncc = await client.create_network_connectivity_configuration("busy", "eastus2")
        ncc_id = ncc.network_connectivity_config_id or ""
        emulator.admin.set_faults(latency={endpoints.CREATE_RULE.key: latency})
        creates = [
            asyncio.create_task(client.create_private_endpoint_rule(ncc_id, storage_rule(n)))
            for n in range(8)
        ]
        await asyncio.sleep(0.2)  # every create is in flight or queued
        started = time.monotonic()
        got = await client.get_network_connectivity_configuration(ncc_id)
        read_took = time.monotonic() - started
        rules = await asyncio.gather(*creates)
        emulator.admin.clear_faults()
    assert got.name == "busy"
    assert read_took < latency / 2, read_took
    assert len({r.rule_id for r in rules}) == 8
