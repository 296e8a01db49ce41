"""When a failed attempt may be re-sent, and after how long: a pure, table-testable policy.

Idempotency decides everything. GET and DELETE are idempotent. PATCH is treated as idempotent
because this client only sends masked PATCHes that set absolute values (the same PATCH twice
leaves the same state); a PATCH without a mask is refused before sending. POST (create) is not
idempotent at Databricks: no idempotency key exists and a create can time out while succeeding
(databricks-api.md §9.3, §16.3). Hence:

==================================  =================  ===================================
Failure                              idempotent         POST (create)
==================================  =================  ===================================
connect error / timeout, pool        retry              retry (the request never left us)
read timeout, dropped connection     retry              OutcomeUnknown (never re-sent)
``RESOURCE_EXHAUSTED`` (any status)  fail               fail (a quota: the operator backs off)
HTTP 429                             retry              retry (rejected before processing)
HTTP 500, 502, 503, 504              retry              OutcomeUnknown
other 5xx (501, 505, …)              fail               OutcomeUnknown
other 4xx                            fail               fail
==================================  =================  ===================================

Delays: ``Retry-After`` (integer seconds only; an HTTP-date or junk gives the default, as in the
SDK's ``_RetryAfterCustomizer``) plus a little jitter for 429/503 (and for 500/502/504 when the
server sent one), otherwise exponential backoff with equal jitter and a cap. Attempts are bounded
by a count and by the call deadline (which the transport also enforces on waits and attempts).

The Go SDK (hence Terraform) retries ``RESOURCE_EXHAUSTED`` as a ``TooManyRequests``; a used-up
quota frees up in minutes if ever, so re-sending within one call only burns requests.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE", "PATCH", "PUT"})
RETRYABLE_5XX = frozenset({500, 502, 503, 504})
NEVER_RETRIED_CODES = frozenset({"RESOURCE_EXHAUSTED"})

# Jitter only spreads retries apart; it has no security role.
_JITTER = random.Random()  # noqa: S311


class TransportFailure(StrEnum):
    """What a transport-level failure says about whether the server saw the request."""

    NOT_SENT = "not_sent"
    """Connecting failed or no pooled connection was free: the server cannot have seen it."""
    NO_RESPONSE = "no_response"
    """The request (or part of it) went out and no response came back: outcome unknown."""


class Action(StrEnum):
    RETRY = "retry"
    FAIL = "fail"
    OUTCOME_UNKNOWN = "outcome_unknown"


@dataclass(frozen=True)
class RetryDecision:
    action: Action
    delay: float = 0.0
    reason: str = ""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from an integer ``Retry-After`` header; ``None`` for absent, negative or junk."""
    if value is None:
        return None
    try:
        seconds = int(value.strip())
    except ValueError:
        return None
    return float(seconds) if seconds >= 0 else None


@dataclass(frozen=True)
class RetryPolicy:
    """Retry limits and delays; :meth:`decide` is the whole policy."""

    max_attempts: int = 8
    deadline_seconds: float = 120.0
    """Total budget of one call: rate-limit and slot waits, attempts, back-off sleeps."""
    base_delay: float = 0.5
    max_delay: float = 10.0
    default_retry_after: float = 1.0
    max_retry_after: float = 300.0
    retry_after_jitter: float = 0.25
    rng: Callable[[], float] = _JITTER.random

    def backoff(self, attempt: int) -> float:
        """Exponential delay before attempt ``attempt + 1``, capped, with equal jitter."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + self.rng() * ceiling / 2

    def throttle_delay(self, retry_after: float | None) -> float:
        """Delay after 429/503: what the server asked for (bounded) plus a little jitter."""
        wanted = self.default_retry_after if retry_after is None else retry_after
        return min(wanted, self.max_retry_after) + self.rng() * self.retry_after_jitter

    def decide(
        self,
        *,
        method: str,
        attempt: int,
        elapsed: float,
        status: int | None = None,
        retry_after: float | None = None,
        failure: TransportFailure | None = None,
        error_code: str | None = None,
    ) -> RetryDecision:
        """What to do after attempt number ``attempt`` (1-based) failed ``elapsed`` s into the call.

        Exactly one of ``status`` (an HTTP error status, with the body's ``error_code``) and
        ``failure`` is given.
        """
        if error_code in NEVER_RETRIED_CODES:
            return RetryDecision(Action.FAIL, reason=f"{error_code} is a quota, not throttling")
        decision = self._classify(method.upper(), attempt, status, retry_after, failure)
        if decision.action is not Action.RETRY:
            return decision
        if attempt >= self.max_attempts:
            return RetryDecision(Action.FAIL, reason=f"{decision.reason}; attempts exhausted")
        if elapsed + decision.delay > self.deadline_seconds:
            return RetryDecision(Action.FAIL, reason=f"{decision.reason}; deadline reached")
        return decision

    def _classify(  # noqa: PLR0911 - the module docstring table, one return per row
        self,
        method: str,
        attempt: int,
        status: int | None,
        retry_after: float | None,
        failure: TransportFailure | None,
    ) -> RetryDecision:
        idempotent = method in IDEMPOTENT_METHODS
        if failure is TransportFailure.NOT_SENT:
            return RetryDecision(Action.RETRY, self.backoff(attempt), "request was not sent")
        if failure is TransportFailure.NO_RESPONSE:
            if idempotent:
                return RetryDecision(Action.RETRY, self.backoff(attempt), "no response")
            return RetryDecision(Action.OUTCOME_UNKNOWN, reason="no response to a create")
        if status == 429:
            return RetryDecision(Action.RETRY, self.throttle_delay(retry_after), "throttled")
        if status == 503 and idempotent:
            return RetryDecision(Action.RETRY, self.throttle_delay(retry_after), "unavailable")
        if status in RETRYABLE_5XX and idempotent:
            delay = (
                self.backoff(attempt) if retry_after is None else self.throttle_delay(retry_after)
            )
            return RetryDecision(Action.RETRY, delay, f"HTTP {status}")
        if status is not None and status >= 500 and not idempotent:
            return RetryDecision(Action.OUTCOME_UNKNOWN, reason=f"HTTP {status} on a create")
        return RetryDecision(Action.FAIL, reason=f"HTTP {status} is not retryable")
