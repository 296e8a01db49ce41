"""Fault injection (latency, 429, 5xx, dropped connections, slow creates) and the server-side
rate limiter.

Faults are drawn from a ``random.Random(seed)``: each API request consumes exactly three draws
whatever the configured rates, so a given seed and request order always give the same faults.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FaultConfig:
    # "<METHOD> <path template>" or "*" → seconds of added latency before handling.
    latency: dict[str, float] = field(default_factory=dict)
    rate_429: float = 0.0
    retry_after: int = 1
    rate_5xx: float = 0.0
    status_5xx: int = 503
    # Create POSTs commit at once but answer only after this delay (a client-side timeout).
    slow_create_seconds: float = 0.0
    # Every Account API write (creates included) commits at once but answers after this delay:
    # an update or delete whose answer a killed or timed-out client never saw.
    slow_write_seconds: float = 0.0
    # Token grants (OAuth M2M, federation exchange) answer after this delay: a slow token
    # endpoint. Only latency: the token endpoint's rates are never faulted.
    token_latency_seconds: float = 0.0
    drop_connection_rate: float = 0.0
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class FaultDecision:
    latency: float
    drop: bool
    throttle: bool
    server_error: bool


class FaultInjector:
    """Holds the active fault configuration and its seeded random stream."""

    def __init__(self) -> None:
        self.config = FaultConfig()
        self._rng = random.Random(0)  # noqa: S311 (reproducible faults, not crypto)

    def configure(self, patch: dict[str, Any]) -> FaultConfig:
        names = {f.name for f in dataclasses.fields(FaultConfig)}
        unknown = sorted(set(patch) - names)
        if unknown:
            raise ValueError(f"unknown fault keys: {unknown}")
        self.config = dataclasses.replace(self.config, **patch)
        self._rng = random.Random(self.config.seed)  # noqa: S311
        return self.config

    def clear(self) -> None:
        self.config = FaultConfig()
        self._rng = random.Random(0)  # noqa: S311 (reproducible faults, not crypto)

    def decide(self, route_key: str) -> FaultDecision:
        cfg = self.config
        draws = (self._rng.random(), self._rng.random(), self._rng.random())
        latency = cfg.latency.get(route_key, cfg.latency.get("*", 0.0))
        return FaultDecision(
            latency=float(latency),
            drop=draws[0] < cfg.drop_connection_rate,
            throttle=draws[1] < cfg.rate_429,
            server_error=draws[2] < cfg.rate_5xx,
        )


class TokenBucket:
    """Requests per second with a burst; ``take`` returns the integer Retry-After when empty."""

    def __init__(self, rps: float, burst: int | None = None) -> None:
        self.rps = rps
        self.capacity = float(burst if burst is not None else max(1, math.ceil(rps)))
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> int | None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rps)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rps))


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)?$")


def parse_duration(text: str) -> float:
    """``200ms`` / ``0.2s`` / ``200`` (milliseconds) → seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"invalid duration {text!r} (use e.g. 50ms or 0.05s)")
    value, unit = float(match.group(1)), match.group(2) or "ms"
    return value / 1000 if unit == "ms" else value


def parse_latency_spec(spec: str) -> dict[str, float]:
    """``50ms`` or ``POST:/api/…/private-endpoint-rules=200ms,*=20ms`` → FaultConfig.latency."""
    out: dict[str, float] = {}
    for entry in (e.strip() for e in spec.split(",") if e.strip()):
        target, sep, duration = entry.rpartition("=")
        if not sep:
            target, duration = "*", entry
        if target != "*":
            method, colon, path = target.partition(":")
            if not colon or not path.startswith("/"):
                raise ValueError(f"invalid latency target {target!r} (use METHOD:/path or *)")
            target = f"{method.upper()} {path}"
        out[target] = parse_duration(duration)
    return out
