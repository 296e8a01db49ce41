"""Pure pieces of the emulator without HTTP: the state machine, pagination, the token bucket."""

from __future__ import annotations

import pytest

from ncc_emulator import lifecycle
from ncc_emulator.errors import ApiError
from ncc_emulator.faults import FaultInjector, TokenBucket
from ncc_emulator.models import Rule
from ncc_emulator.settings import EmulatorConfig
from ncc_emulator.store import paginate

S = 1000  # ms per second
DAY = 86400 * S


def _rule(**kw: object) -> Rule:
    fields: dict[str, object] = {
        "rule_id": "r1", "network_connectivity_config_id": "n1", "cloud": "azure",
        "connection_state": "CREATING", "creation_time": 0, "updated_time": 0, "state_since": 0,
        "resource_id": "/r",
    }  # fmt: skip
    fields.update(kw)
    return Rule(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule_kw", "now_ms", "state"),
    [
        pytest.param({}, 999, "CREATING", id="still creating before the delay"),
        pytest.param({}, 1 * S, "PENDING", id="pending exactly at the delay"),
        pytest.param({"will_fail": True}, 1 * S, "CREATE_FAILED", id="missing target"),
        pytest.param({}, 1 * S + 14 * DAY, "EXPIRED", id="creating then expired in one read"),
        pytest.param(
            {"cloud": "aws", "endpoint_service": "com.amazonaws.r.s3", "resource_id": None},
            1 * S + 14 * DAY,
            "ESTABLISHED",
            id="S3 establishes and never expires",
        ),
    ],
)
def test_settle(rule_kw: dict[str, object], now_ms: int, state: str) -> None:
    rule = _rule(**rule_kw)
    assert lifecycle.settle(rule, now_ms, EmulatorConfig(creating_seconds=1)) is False
    assert rule.connection_state == state


def test_settle_reports_purge_only_when_due() -> None:
    rule = _rule(connection_state="ESTABLISHED", deactivated=True, deactivated_at=10)
    cfg = EmulatorConfig(purge_seconds=1)
    assert lifecycle.settle(rule, 10 + 999, cfg) is False
    assert lifecycle.settle(rule, 10 + 1000, cfg) is True


def test_owner_action_refused_when_deactivated() -> None:
    rule = _rule(connection_state="PENDING", deactivated=True, deactivated_at=0)
    with pytest.raises(ApiError) as caught:
        lifecycle.owner_action(rule, "approve", 5)
    assert caught.value.status == 409


@pytest.mark.parametrize(
    ("count", "size", "pages"),
    [
        pytest.param(0, 2, [[]], id="empty list: one empty page, no token"),
        pytest.param(4, 2, [[0, 1], [2, 3]], id="exact multiple: no trailing empty page"),
        pytest.param(5, 2, [[0, 1], [2, 3], [4]], id="remainder on the last page"),
    ],
)
def test_paginate(count: int, size: int, pages: list[list[int]]) -> None:
    items, seen, token = list(range(count)), [], None
    while True:
        page, token = paginate(items, token, size, lambda i: i)
        seen.append(page)
        if token is None:
            break
    assert seen == pages


def test_token_bucket_refuses_beyond_burst() -> None:
    bucket = TokenBucket(rps=1, burst=2)
    assert [bucket.take(), bucket.take()] == [None, None]
    retry_after = bucket.take()
    assert retry_after is not None
    assert retry_after >= 1


def test_fault_draws_do_not_depend_on_rates() -> None:
    """Changing a rate must not shift which later requests get the other faults."""
    a, b = FaultInjector(), FaultInjector()
    a.configure({"seed": 5, "rate_429": 0.3})
    b.configure({"seed": 5, "rate_429": 0.3, "rate_5xx": 0.9, "drop_connection_rate": 0.5})
    first = [a.decide("*").throttle for _ in range(50)]
    assert first == [b.decide("*").throttle for _ in range(50)]
    assert any(first)
    assert not all(first)
