"""The retry policy as a table: which failures are re-sent, for which methods, after how long."""

from __future__ import annotations

import pytest

from ncc_operator.databricks.retry import (
    Action,
    RetryPolicy,
    TransportFailure,
    parse_retry_after,
)

NOT_SENT = TransportFailure.NOT_SENT
NO_RESPONSE = TransportFailure.NO_RESPONSE
POLICY = RetryPolicy(rng=lambda: 0.0)


@pytest.mark.parametrize(
    ("method", "status", "failure", "action"),
    [
        pytest.param("POST", 429, None, Action.RETRY, id="429-post-rejected-before-processing"),
        pytest.param("GET", 429, None, Action.RETRY, id="429-get"),
        pytest.param("GET", 503, None, Action.RETRY, id="503-get-idempotent"),
        pytest.param("DELETE", 503, None, Action.RETRY, id="503-delete-idempotent"),
        pytest.param("PATCH", 503, None, Action.RETRY, id="503-masked-patch-is-idempotent"),
        pytest.param("POST", 503, None, Action.OUTCOME_UNKNOWN, id="503-post-may-have-created"),
        pytest.param("POST", 504, None, Action.OUTCOME_UNKNOWN, id="504-post-may-have-created"),
        pytest.param("POST", 500, None, Action.OUTCOME_UNKNOWN, id="500-post-may-have-created"),
        pytest.param("GET", 500, None, Action.RETRY, id="500-get-retried"),
        pytest.param("GET", 502, None, Action.RETRY, id="502-get-retried"),
        pytest.param("GET", 504, None, Action.RETRY, id="504-get-retried"),
        pytest.param("DELETE", 500, None, Action.RETRY, id="500-delete-idempotent"),
        pytest.param("PATCH", 504, None, Action.RETRY, id="504-masked-patch-idempotent"),
        pytest.param("GET", 501, None, Action.FAIL, id="501-not-implemented-is-final"),
        pytest.param("GET", 505, None, Action.FAIL, id="505-not-a-transient-5xx"),
        pytest.param("POST", 400, None, Action.FAIL, id="400-post-definite-failure"),
        pytest.param("GET", 404, None, Action.FAIL, id="404-not-retried"),
        pytest.param("POST", 409, None, Action.FAIL, id="409-duplicate-not-retried"),
        pytest.param("POST", None, NOT_SENT, Action.RETRY, id="connect-error-post-never-sent"),
        pytest.param("GET", None, NOT_SENT, Action.RETRY, id="connect-error-get"),
        pytest.param("GET", None, NO_RESPONSE, Action.RETRY, id="read-timeout-get"),
        pytest.param("DELETE", None, NO_RESPONSE, Action.RETRY, id="dropped-delete"),
        pytest.param(
            "POST", None, NO_RESPONSE, Action.OUTCOME_UNKNOWN, id="read-timeout-post-never-resent"
        ),
    ],
)
def test_decision_table(
    method: str, status: int | None, failure: TransportFailure | None, action: Action
) -> None:
    decision = POLICY.decide(method=method, attempt=1, elapsed=0.0, status=status, failure=failure)
    assert decision.action is action, decision.reason


@pytest.mark.parametrize(
    ("method", "status"),
    [
        pytest.param("GET", 429, id="429-quota-get"),
        pytest.param("POST", 429, id="429-quota-post"),
        pytest.param("GET", 400, id="400-quota-get"),
        pytest.param("GET", 503, id="503-quota-get"),
    ],
)
def test_resource_exhausted_is_never_retried_by_the_transport(method: str, status: int) -> None:
    """A used-up quota frees up in minutes, if ever: the operator backs off, we do not loop."""
    decision = POLICY.decide(
        method=method, attempt=1, elapsed=0.0, status=status, error_code="RESOURCE_EXHAUSTED"
    )
    assert decision.action is Action.FAIL, decision.reason


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        pytest.param("7", 7.0, id="integer-seconds"),
        pytest.param(" 3 ", 3.0, id="whitespace-tolerated"),
        pytest.param("0", 0.0, id="zero-is-valid"),
        pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", None, id="http-date-ignored-like-sdk"),
        pytest.param("soon", None, id="junk"),
        pytest.param("-5", None, id="negative"),
        pytest.param("1.5", None, id="fraction-is-not-an-integer"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        pytest.param(7.0, 7.0, id="server-value-honored"),
        pytest.param(None, 1.0, id="absent-gives-default"),
        pytest.param(3600.0, 300.0, id="capped-at-max-retry-after"),
    ],
)
def test_throttle_delay(retry_after: float | None, delay: float) -> None:
    policy = RetryPolicy(deadline_seconds=1000, rng=lambda: 0.0)  # room for the longest delay
    decision = policy.decide(
        method="GET", attempt=1, elapsed=0.0, status=429, retry_after=retry_after
    )
    assert decision.delay == delay


@pytest.mark.parametrize(
    ("attempt", "rng", "delay"),
    [
        pytest.param(1, 0.0, 0.25, id="first-retry-half-of-base"),
        pytest.param(1, 1.0, 0.5, id="first-retry-full-base"),
        pytest.param(3, 0.0, 1.0, id="exponential-growth"),
        pytest.param(20, 1.0, 10.0, id="capped-at-max-delay"),
        pytest.param(20, 0.0, 5.0, id="cap-with-equal-jitter"),
    ],
)
def test_backoff_is_exponential_capped_and_jittered(attempt: int, rng: float, delay: float) -> None:
    assert RetryPolicy(rng=lambda: rng, max_attempts=100).backoff(attempt) == delay


@pytest.mark.parametrize(
    ("policy", "attempt", "elapsed", "action"),
    [
        pytest.param(
            RetryPolicy(max_attempts=3, rng=lambda: 0.0),
            3,
            0.0,
            Action.FAIL,
            id="attempts-exhausted",
        ),
        pytest.param(
            RetryPolicy(max_attempts=3, rng=lambda: 0.0), 2, 0.0, Action.RETRY, id="attempts-left"
        ),
        pytest.param(
            RetryPolicy(deadline_seconds=10, rng=lambda: 0.0),
            1,
            9.5,
            Action.FAIL,
            id="sleep-would-pass-deadline",
        ),
        pytest.param(
            RetryPolicy(deadline_seconds=10, rng=lambda: 0.0),
            1,
            8.0,
            Action.RETRY,
            id="sleep-fits-before-deadline",
        ),
    ],
)
def test_limits(policy: RetryPolicy, attempt: int, elapsed: float, action: Action) -> None:
    decision = policy.decide(method="GET", attempt=attempt, elapsed=elapsed, status=429)
    assert decision.action is action
