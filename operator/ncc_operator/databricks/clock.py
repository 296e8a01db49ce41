"""Time source for the client: one seam so retries and rate limiting are testable.

The retry policy and the token bucket never call ``time`` or ``asyncio.sleep`` directly; they go
through a :class:`Clock`, so tests can drive them with a fake clock and assert exact sleeps
without waiting (the model is databricks-sdk-py's ``clock.py`` / ``retries.py``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """A monotonic time source that can also sleep."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for ``seconds``."""
        ...


class SystemClock:
    """The real clock: ``time.monotonic`` and ``asyncio.sleep``."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
