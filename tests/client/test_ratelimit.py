"""Token bucket and concurrency cap, driven by a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio

import pytest

from ncc_operator.databricks import AccountLimiter, RateLimit, TokenBucket

from .fakes import FakeClock


@pytest.mark.parametrize(
    ("rate", "burst", "calls", "idle_before", "expected_waits"),
    [
        pytest.param(2.0, 3, 5, 0.0, [0, 0, 0, 0.5, 0.5], id="burst-then-paced-at-rate"),
        pytest.param(15.0, 1, 3, 0.0, [0, 1 / 15, 1 / 15], id="no-burst-go-sdk-rate"),
        pytest.param(2.0, 3, 4, 100.0, [0, 0, 0, 0.5], id="idle-refill-capped-at-burst"),
    ],
)
async def test_token_bucket_waits(
    rate: float, burst: int, calls: int, idle_before: float, expected_waits: list[float]
) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst, clock)
    clock.now += idle_before
    waits = [await bucket.acquire() for _ in range(calls)]
    assert waits == pytest.approx(expected_waits)


async def test_token_bucket_serves_concurrent_waiters_at_the_rate() -> None:
    # Ten tasks at once with rate 5/s and burst 1: the last gets its token 9 x 0.2 s later.
    clock = FakeClock()
    bucket = TokenBucket(5.0, 1, clock)
    await asyncio.gather(*(bucket.acquire() for _ in range(10)))
    assert clock.now == pytest.approx(1.8)


async def test_concurrency_cap_bounds_in_flight_requests() -> None:
    limiter = AccountLimiter(
        RateLimit(requests_per_second=1000, burst=1000, max_concurrency=2), FakeClock()
    )
    release = asyncio.Event()
    peak = 0

    async def one() -> None:
        nonlocal peak
        async with limiter.slot():
            peak = max(peak, limiter.in_flight)
            await release.wait()

    tasks = [asyncio.create_task(one()) for _ in range(5)]
    await asyncio.sleep(0.01)
    assert limiter.in_flight == 2
    release.set()
    await asyncio.gather(*tasks)
    assert (peak, limiter.in_flight) == (2, 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"requests_per_second": 0}, id="zero-rate"),
        pytest.param({"burst": 0}, id="zero-burst"),
        pytest.param({"max_concurrency": 0}, id="zero-concurrency"),
    ],
)
def test_rate_limit_rejects_non_positive_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimit(**kwargs)  # type: ignore[arg-type]


def test_defaults_match_the_go_sdk_rate() -> None:
    assert RateLimit() == RateLimit(requests_per_second=15.0, burst=30, max_concurrency=10)
