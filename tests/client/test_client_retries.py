"""Retries through the real transport with a mocked network and a fake clock.

The point of each case is how many times the request went out and what the caller got back:
a create is never sent twice unless the server provably rejected it unprocessed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from ncc_emulator import endpoints
from ncc_operator.databricks import (
    CreatePrivateEndpointRule,
    DatabricksAccountClient,
    DatabricksConnectionError,
    ErrorKind,
    OutcomeUnknown,
    RequestEvent,
    ResourceExhausted,
    RetryPolicy,
    ServerNotImplemented,
    TooManyRequests,
    classify,
)

from .fakes import ACCOUNT, FakeClock, Reply, Script, api_error, json_response, make_client

OK_RULE = json_response(200, {"rule_id": "r1"})
OK_WS = json_response(200, {"workspace_id": 1})
CONNECT = httpx.ConnectError("refused")
READ_TIMEOUT = httpx.ReadTimeout("slow")
DROPPED = httpx.RemoteProtocolError("Server disconnected without sending a response.")

RULES_TEMPLATE = endpoints.RULES

Call = Callable[[DatabricksAccountClient], Awaitable[Any]]


def create_rule(c: DatabricksAccountClient) -> Awaitable[Any]:
    return c.create_private_endpoint_rule(
        "n1", CreatePrivateEndpointRule(resource_id="/sa", group_id="blob")
    )


def get_ws(c: DatabricksAccountClient) -> Awaitable[Any]:
    return c.get_workspace(1)


def patch_ws(c: DatabricksAccountClient) -> Awaitable[Any]:
    return c.update_workspace_network_connectivity_config(1, "n1")


def delete_rule(c: DatabricksAccountClient) -> Awaitable[Any]:
    return c.delete_private_endpoint_rule("n1", "r1")


@pytest.mark.parametrize(
    ("call", "replies", "sent", "sleeps"),
    [
        pytest.param(
            create_rule,
            [api_error(429, None, "slow down", **{"Retry-After": "7"}), OK_RULE],
            2,
            [7.0],
            id="429-post-resent-after-retry-after",
        ),
        pytest.param(
            create_rule,
            [
                api_error(429, None, "x", **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
                OK_RULE,
            ],
            2,
            [1.0],
            id="429-http-date-gives-default",
        ),
        pytest.param(
            create_rule,
            [api_error(429, None, "x"), OK_RULE],
            2,
            [1.0],
            id="429-without-header-gives-default",
        ),
        pytest.param(
            create_rule, [CONNECT, OK_RULE], 2, [0.25], id="connect-error-post-never-sent"
        ),
        pytest.param(
            create_rule,
            [httpx.PoolTimeout("pool"), OK_RULE],
            2,
            [0.25],
            id="pool-timeout-post-never-sent",
        ),
        pytest.param(
            get_ws,
            [api_error(503, "TEMPORARILY_UNAVAILABLE", "x", **{"Retry-After": "3"}), OK_WS],
            2,
            [3.0],
            id="503-get-retried",
        ),
        pytest.param(get_ws, [READ_TIMEOUT, OK_WS], 2, [0.25], id="read-timeout-get-retried"),
        pytest.param(get_ws, [CONNECT, CONNECT, OK_WS], 3, [0.25, 0.5], id="backoff-grows"),
        pytest.param(patch_ws, [DROPPED, OK_WS], 2, [0.25], id="dropped-masked-patch-retried"),
        pytest.param(
            delete_rule, [api_error(503, None, "x"), OK_RULE], 2, [1.0], id="503-delete-retried"
        ),
        pytest.param(
            get_ws,
            [api_error(500, "INTERNAL_ERROR", "x"), api_error(500, None, "x"), OK_WS],
            3,
            [0.25, 0.5],
            id="500-get-retried-with-backoff",
        ),
        pytest.param(
            get_ws, [api_error(502, None, "bad gateway"), OK_WS], 2, [0.25], id="502-get-retried"
        ),
        pytest.param(
            get_ws,
            [api_error(504, None, "gateway timeout", **{"Retry-After": "4"}), OK_WS],
            2,
            [4.0],
            id="504-get-honours-retry-after",
        ),
        pytest.param(
            delete_rule, [api_error(500, None, "x"), OK_RULE], 2, [0.25], id="500-delete-retried"
        ),
        pytest.param(
            patch_ws, [api_error(502, None, "x"), OK_WS], 2, [0.25], id="502-masked-patch-retried"
        ),
    ],
)
async def test_retried_then_succeeds(
    call: Call, replies: list[Reply], sent: int, sleeps: list[float]
) -> None:
    script, clock = Script(replies), FakeClock()
    async with make_client(script, clock=clock) as client:
        assert await call(client) is not None
    assert len(script.requests) == sent
    assert clock.sleeps == sleeps


@pytest.mark.parametrize(
    ("call", "replies", "error", "status"),
    [
        pytest.param(
            create_rule,
            [READ_TIMEOUT, OK_RULE],
            OutcomeUnknown,
            None,
            id="read-timeout-post-never-resent",
        ),
        pytest.param(
            create_rule, [DROPPED, OK_RULE], OutcomeUnknown, None, id="dropped-post-never-resent"
        ),
        pytest.param(
            create_rule,
            [api_error(503, None, "busy"), OK_RULE],
            OutcomeUnknown,
            503,
            id="503-post-outcome-unknown",
        ),
        pytest.param(
            create_rule,
            [api_error(504, None, "gateway"), OK_RULE],
            OutcomeUnknown,
            504,
            id="504-post-outcome-unknown",
        ),
        pytest.param(
            create_rule,
            [api_error(500, None, "oops"), OK_RULE],
            OutcomeUnknown,
            500,
            id="500-post-outcome-unknown",
        ),
        pytest.param(
            get_ws,
            [api_error(501, None, "nope"), OK_WS],
            ServerNotImplemented,
            501,
            id="501-get-not-retried",
        ),
        pytest.param(
            get_ws,
            [api_error(429, "RESOURCE_EXHAUSTED", "quota", **{"Retry-After": "1"}), OK_WS],
            ResourceExhausted,
            429,
            id="429-resource-exhausted-is-a-quota-not-throttling",
        ),
        pytest.param(
            create_rule,
            [api_error(429, "RESOURCE_EXHAUSTED", "quota"), OK_RULE],
            ResourceExhausted,
            429,
            id="429-resource-exhausted-create-not-resent",
        ),
        pytest.param(
            create_rule,
            [api_error(400, "RESOURCE_EXHAUSTED", "10 NCCs per region"), OK_RULE],
            ResourceExhausted,
            400,
            id="400-resource-exhausted-as-the-emulator-sends-it",
        ),
    ],
)
async def test_not_resent(
    call: Call, replies: list[Reply], error: type[Exception], status: int | None
) -> None:
    script = Script(replies)
    async with make_client(script) as client:
        with pytest.raises(error) as caught:
            await call(client)
    assert len(script.requests) == 1
    assert getattr(caught.value, "status_code", None) == status


async def test_resource_exhausted_is_transient_for_the_operator_not_for_the_transport() -> None:
    """The Go SDK retries RESOURCE_EXHAUSTED; we raise at once and let the operator back off."""
    script, clock = Script([api_error(429, "RESOURCE_EXHAUSTED", "quota")]), FakeClock()
    async with make_client(script, clock=clock) as client:
        with pytest.raises(ResourceExhausted) as caught:
            await get_ws(client)
    assert (len(script.requests), clock.sleeps) == (1, [])
    assert classify(caught.value) is ErrorKind.TRANSIENT


async def test_outcome_unknown_keeps_the_cause_and_says_what_to_do() -> None:
    script = Script([READ_TIMEOUT])
    async with make_client(script) as client:
        with pytest.raises(OutcomeUnknown, match="natural key") as caught:
            await create_rule(client)
    assert isinstance(caught.value.__cause__, DatabricksConnectionError)
    assert caught.value.path == RULES_TEMPLATE


async def test_overall_deadline_stops_throttled_retries() -> None:
    script, clock = Script([api_error(429, None, "x", **{"Retry-After": "100"})]), FakeClock()
    policy = RetryPolicy(deadline_seconds=250, rng=lambda: 0.0)
    async with make_client(script, clock=clock, policy=policy) as client:
        with pytest.raises(TooManyRequests) as caught:
            await get_ws(client)
    assert (len(script.requests), clock.sleeps) == (3, [100.0, 100.0])
    assert caught.value.retry_after == 100.0


async def test_attempt_cap_stops_connection_retries() -> None:
    script = Script([CONNECT])
    async with make_client(script, policy=RetryPolicy(max_attempts=4, rng=lambda: 0.0)) as client:
        with pytest.raises(DatabricksConnectionError, match="ConnectError"):
            await create_rule(client)
    assert len(script.requests) == 4


async def test_hook_sees_every_attempt_with_the_path_template() -> None:
    events: list[RequestEvent] = []
    script = Script([api_error(429, None, "x", **{"Retry-After": "2"}), CONNECT, OK_WS])
    async with make_client(script, events=events) as client:
        await get_ws(client)
    template = endpoints.GET_WORKSPACE.template
    assert [(e.method, e.path, e.status, e.attempt, e.outcome) for e in events] == [
        ("GET", template, 429, 1, "retry"),
        ("GET", template, None, 2, "retry"),
        ("GET", template, 200, 3, "success"),
    ]
    assert all(e.duration >= 0 for e in events)
    assert ACCOUNT not in "".join(e.path for e in events)


@pytest.mark.parametrize(
    ("replies", "outcome"),
    [
        pytest.param([api_error(404, "RESOURCE_DOES_NOT_EXIST", "x")], "fail", id="terminal-error"),
        pytest.param([READ_TIMEOUT], "outcome_unknown", id="ambiguous-create"),
    ],
)
async def test_hook_reports_final_outcomes(replies: list[Reply], outcome: str) -> None:
    events: list[RequestEvent] = []
    async with make_client(Script(replies), events=events) as client:
        with pytest.raises(Exception, match=r"."):
            await create_rule(client)
    assert [e.outcome for e in events] == [outcome]


async def test_a_failing_hook_never_fails_the_call() -> None:
    def broken(event: RequestEvent) -> None:
        raise RuntimeError("metrics are down")

    client = DatabricksAccountClient(
        host="https://h",
        account_id="a",
        auth=_auth,
        hook=broken,
        http_transport=httpx.MockTransport(Script([OK_WS])),
    )
    async with client:
        assert (await client.get_workspace(1)).workspace_id == 1


async def _auth() -> dict[str, str]:
    return {"Authorization": "Bearer t"}
