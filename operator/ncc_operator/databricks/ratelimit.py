"""Per-account client-side throttling: a token bucket (rate, burst) and a concurrency cap.

Databricks documents no rate limit for these account endpoints, and the Go SDK self-limits to
15 requests/s (databricks-api.md §8, §12.2); we do the same, with a burst so a resync of many NCCs
starts at once, and cap in-flight requests so a slow create storm cannot open unbounded
connections. Both take the injectable :class:`~.clock.Clock`, so tests run on a fake clock.

A slot is held for one HTTP attempt only: retry back-off sleeps happen outside it, so a throttled
request never blocks the others. Creates (POST) may hold at most ``max(1, max_concurrency // 2)``
slots at once, so slow creates (minutes, at Databricks) never starve reads and updates.

No wait is unbounded: a token that would arrive after the caller's deadline (``max_wait``) raises
:class:`~.errors.ClientRateLimitTooLow` at once instead of sleeping (``1e-9`` requests/s means
one token per ~30 years).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from .clock import Clock, SystemClock
from .errors import ClientRateLimitTooLow


@dataclass(frozen=True)
class RateLimit:
    """Client-side limits for one account."""

    requests_per_second: float = 15.0
    burst: int = 30
    max_concurrency: int = 10

    def __post_init__(self) -> None:
        if self.requests_per_second <= 0 or self.burst < 1 or self.max_concurrency < 1:
            raise ValueError("rate limit values must be positive")


class TokenBucket:
    """Classic token bucket; waiters are served first come, first served."""

    def __init__(self, rate: float, burst: int, clock: Clock | None = None) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock or SystemClock()
        self._tokens = float(burst)
        self._last = self._clock.monotonic()
        # One waiter at a time refills and sleeps; the others queue behind it in FIFO order.
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now

    async def acquire(self, max_wait: float = float("inf")) -> float:
        """Take one token, sleeping until one is available; returns the seconds waited.

        Raises :class:`~.errors.ClientRateLimitTooLow` without sleeping (or taking a token)
        when the token would take longer than ``max_wait`` seconds to arrive.
        """
        async with self._lock:
            self._refill()
            waited = 0.0
            if self._tokens < 1:
                waited = (1 - self._tokens) / self._rate
                if waited > max_wait:
                    raise ClientRateLimitTooLow(
                        f"the client-side rate limit ({self._rate:g} requests/s, burst "
                        f"{self._burst:g}) would delay this request {waited:.3g} s, past its "
                        f"deadline ({max_wait:.3g} s left): raise rateLimit.requestsPerSecond"
                    )
                await self._clock.sleep(waited)
                self._refill()
            self._tokens -= 1
            return waited


class AccountLimiter:
    """Rate limit plus concurrency cap for all requests to one account."""

    def __init__(self, limit: RateLimit | None = None, clock: Clock | None = None) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock or SystemClock()
        self._bucket = TokenBucket(self.limit.requests_per_second, self.limit.burst, self._clock)
        self._semaphore = asyncio.Semaphore(self.limit.max_concurrency)
        self.create_slots = max(1, self.limit.max_concurrency // 2)
        self._creates = asyncio.Semaphore(self.create_slots)
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Requests currently holding a slot."""
        return self._in_flight

    @asynccontextmanager
    async def slot(
        self, *, create: bool = False, deadline: float | None = None
    ) -> AsyncIterator[None]:
        """Hold a concurrency slot and one rate token for the duration of one HTTP attempt.

        ``create``: a POST, which first queues for one of the create slots. ``deadline``: when
        the caller gives up, on this limiter's clock (see :meth:`TokenBucket.acquire`).
        """
        async with contextlib.AsyncExitStack() as stack:
            if create:
                # Queued creates wait here, not in the shared queue, so reads overtake them.
                await stack.enter_async_context(self._creates)
            # The semaphore comes first so that queued requests do not burn tokens they cannot use.
            await stack.enter_async_context(self._semaphore)
            left = float("inf") if deadline is None else deadline - self._clock.monotonic()
            await self._bucket.acquire(max(0.0, left))
            self._in_flight += 1
            try:
                yield
            finally:
                self._in_flight -= 1
