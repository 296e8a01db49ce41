"""One request function: auth header -> rate limit -> send -> hook -> classify -> retry decision.

Everything that touches the network for the account API goes through :meth:`Transport.request`,
so throttling, credentials, metrics, error mapping and the retry policy (``retry.py``) are
applied identically to every endpoint. One deadline (``RetryPolicy.deadline_seconds``) bounds the
whole call: waiting for credentials, a concurrency slot and a rate token, every attempt (httpx's
own timeouts bound each phase of one attempt only) and the back-off sleeps. A create whose answer
had not come when the deadline struck is :class:`~.errors.OutcomeUnknown`. Logs carry method,
path template, status and timing only: never headers, bodies or URLs with values that could be
sensitive.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from .clock import Clock, SystemClock
from .errors import DatabricksConnectionError, DatabricksError, OutcomeUnknown, error_from_response
from .ratelimit import AccountLimiter
from .retry import (
    IDEMPOTENT_METHODS,
    RETRYABLE_5XX,
    Action,
    RetryDecision,
    RetryPolicy,
    TransportFailure,
    parse_retry_after,
)

logger = logging.getLogger(__name__)

HeaderProvider = Callable[[], Awaitable[Mapping[str, str]]]

# The request cannot have reached the server: safe to re-send whatever the method.
_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


_RETRY_AFTER_STATUSES = frozenset({429, *RETRYABLE_5XX})


@dataclass(frozen=True)
class RequestEvent:
    """One HTTP attempt, as reported to the request hook (e.g. for Prometheus).

    ``path`` is the template (``/api/2.0/accounts/{account_id}/…``), never the concrete path, so
    metric label cardinality stays bounded. ``status`` is ``None`` when no response arrived.
    ``outcome`` is ``success``, ``retry`` (another attempt follows), ``fail`` (the error is
    raised) or ``outcome_unknown`` (a create that may have happened; never re-sent).
    """

    method: str
    path: str
    status: int | None
    duration: float
    attempt: int
    outcome: str


RequestHook = Callable[[RequestEvent], None]


@dataclass(frozen=True)
class _Attempt:
    response: httpx.Response | None
    failure: httpx.TransportError | None
    duration: float
    expired: bool = False
    """The call deadline struck during this attempt."""
    sent: bool = False
    """The request was (being) handed to httpx: the server may have seen it."""


def render_path(template: str, params: Mapping[str, str | int]) -> str:
    """Fill ``{name}`` placeholders with URL-quoted values (ids never add path segments)."""
    return template.format_map({k: quote(str(v), safe="") for k, v in params.items()})


class Transport:
    """Sends requests for one account; owns no connection pool (the client does)."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        auth: HeaderProvider,
        limiter: AccountLimiter,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        hook: RequestHook | None = None,
    ) -> None:
        self._http = http
        self._auth = auth
        self._limiter = limiter
        self._policy = policy or RetryPolicy()
        self._clock = clock or SystemClock()
        self._hook = hook

    async def request(
        self,
        method: str,
        template: str,
        params: Mapping[str, str | int],
        *,
        query: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send with retries; return the decoded JSON body (``None`` for an empty one)."""
        path = render_path(template, params)
        started = self._clock.monotonic()
        deadline = started + self._policy.deadline_seconds
        attempt = 0
        while True:
            attempt += 1
            result = await self._attempt(method, path, query, body, deadline)
            if result.response is not None and result.response.is_success:
                self._report(method, template, result, attempt, "success")
                return _decode(result.response, method, template)
            if result.expired:
                error = self._deadline_error(method, template, result)
                outcome = "outcome_unknown" if isinstance(error, OutcomeUnknown) else "fail"
                self._report(method, template, result, attempt, outcome)
                raise error
            decision, error = self._judge(method, template, result, attempt, started)
            self._report(method, template, result, attempt, decision.action.value)
            if decision.action is Action.RETRY:
                logger.debug(
                    "retrying %s %s in %.2fs (attempt %d): %s",
                    method,
                    template,
                    decision.delay,
                    attempt,
                    decision.reason,
                )
                await self._clock.sleep(decision.delay)
                continue
            if decision.action is Action.OUTCOME_UNKNOWN:
                raise _outcome_unknown(decision.reason, error, method, template) from error
            raise error

    async def _attempt(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        deadline: float,
    ) -> _Attempt:
        """One attempt, cut short when the call's ``deadline`` strikes."""
        start = self._clock.monotonic()
        sent = False
        timer = asyncio.timeout(max(0.0, deadline - start))
        try:
            async with timer:
                headers = await self._auth()
                async with self._limiter.slot(create=method == "POST", deadline=deadline):
                    start, sent = self._clock.monotonic(), True
                    response = await self._http.request(
                        method,
                        path,
                        params=dict(query) if query else None,
                        content=json.dumps(body).encode() if body is not None else None,
                        headers={**headers, **_content_type(body)},
                    )
                    await response.aread()
        except httpx.TransportError as exc:
            return _Attempt(None, exc, self._clock.monotonic() - start, sent=sent)
        except TimeoutError:
            if not timer.expired():
                raise
            return _Attempt(None, None, self._clock.monotonic() - start, expired=True, sent=sent)
        return _Attempt(response, None, self._clock.monotonic() - start, sent=True)

    def _deadline_error(self, method: str, template: str, result: _Attempt) -> DatabricksError:
        budget = self._policy.deadline_seconds
        if not result.sent:
            return DatabricksConnectionError(
                f"call deadline of {budget:g} s reached before the request could be sent "
                "(waiting for credentials or a client-side rate-limit/concurrency slot)",
                method=method,
                path=template,
            )
        error = DatabricksConnectionError(
            f"no answer within the call deadline of {budget:g} s", method=method, path=template
        )
        if method.upper() in IDEMPOTENT_METHODS:
            return error
        outcome = _outcome_unknown("no answer to a create in time", error, method, template)
        outcome.__cause__ = error
        return outcome

    def _judge(
        self, method: str, template: str, result: _Attempt, attempt: int, started: float
    ) -> tuple[RetryDecision, DatabricksError]:
        elapsed = self._clock.monotonic() - started
        if result.response is None:
            assert result.failure is not None
            failure = (
                TransportFailure.NOT_SENT
                if isinstance(result.failure, _NOT_SENT)
                else TransportFailure.NO_RESPONSE
            )
            error: DatabricksError = DatabricksConnectionError(
                f"{type(result.failure).__name__}: {result.failure}", method=method, path=template
            )
            decision = self._policy.decide(
                method=method, attempt=attempt, elapsed=elapsed, failure=failure
            )
            return decision, error
        response = result.response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = error_from_response(
            response.status_code,
            response.content,
            retry_after=retry_after if response.status_code in _RETRY_AFTER_STATUSES else None,
            method=method,
            path=template,
        )
        decision = self._policy.decide(
            method=method,
            attempt=attempt,
            elapsed=elapsed,
            status=response.status_code,
            retry_after=retry_after,
            error_code=error.error_code,
        )
        return decision, error

    def _report(
        self, method: str, template: str, result: _Attempt, attempt: int, outcome: str
    ) -> None:
        status = result.response.status_code if result.response is not None else None
        logger.debug(
            "%s %s -> %s in %.3fs (attempt %d, %s)",
            method,
            template,
            status,
            result.duration,
            attempt,
            outcome,
        )
        if self._hook is None:
            return
        event = RequestEvent(method, template, status, result.duration, attempt, outcome)
        try:
            self._hook(event)
        except Exception:
            # A broken metrics hook must never fail a Databricks call.
            logger.exception("request hook failed")


def _outcome_unknown(
    reason: str, error: DatabricksError, method: str, template: str
) -> OutcomeUnknown:
    return OutcomeUnknown(
        f"outcome unknown ({reason}); look the resource up by its natural key before creating "
        "it again",
        status_code=error.status_code,
        request_id=error.request_id,
        method=method,
        path=template,
    )


def _content_type(body: Mapping[str, Any] | None) -> dict[str, str]:
    return {"Content-Type": "application/json"} if body is not None else {}


def _decode(response: httpx.Response, method: str, template: str) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except (ValueError, RecursionError):
        # e.g. a 200 login page after a Private Link redirect, or JSON nested deeper than the
        # parser's stack: not an API answer.
        raise DatabricksError(
            "response is not JSON", status_code=response.status_code, method=method, path=template
        ) from None
