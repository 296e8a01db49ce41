"""Test doubles for the client: a fake clock and a scripted ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from ncc_operator.databricks import DatabricksAccountClient, RateLimit, RequestEvent, RetryPolicy

ACCOUNT = "acc-123"
HOST = "https://accounts.example.test"
TOKEN = "dapi-super-secret-token-value"


class FakeClock:
    """Time moves only when someone sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def json_response(
    status: int, body: Any = None, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    content = b"" if body is None else json.dumps(body).encode()
    return httpx.Response(status, content=content, headers=dict(headers or {}))


def api_error(status: int, code: str | None, message: str, **headers: str) -> httpx.Response:
    body: dict[str, Any] = {"message": message}
    if code:
        body["error_code"] = code
    return json_response(status, body, headers)


@dataclass
class Script:
    """Replies served in order (the last one repeats); every request is recorded."""

    replies: Sequence[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


async def static_auth() -> Mapping[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def make_client(
    script: Script,
    *,
    clock: FakeClock | None = None,
    policy: RetryPolicy | None = None,
    events: list[RequestEvent] | None = None,
    rate_limit: RateLimit | None = None,
    cloud: str | None = None,
) -> DatabricksAccountClient:
    return DatabricksAccountClient(
        host=HOST,
        account_id=ACCOUNT,
        cloud=cloud,
        auth=static_auth,
        clock=clock or FakeClock(),
        retry_policy=policy or RetryPolicy(rng=lambda: 0.0),
        rate_limit=rate_limit or RateLimit(requests_per_second=1000, burst=1000),
        hook=events.append if events is not None else None,
        http_transport=httpx.MockTransport(script),
    )
