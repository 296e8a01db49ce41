"""Faults suite: rules applied while Databricks misbehaves — 500 and 503 on a fraction of every
call, 429 bursts with Retry-After, creates that time out but succeed, dropped connections, a slow
token endpoint with short-lived tokens, and all of them at once. Once the faults stop, everything
converges with no duplicate and no orphan (the audit at the emulator), ``/metrics`` shows the
faults the operator met, and no secret shows anywhere.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ncc_emulator import endpoints
from tests.cluster.conftest import AZURE_STORAGE, GROUP, VERSION
from tests.reliability.conftest import Suite
from tests.reliability.support import SOAK, Figures, audited, leaks, sized

SETTLE = 300.0 if SOAK else 150.0
CLIENT_READ_TIMEOUT = 60.0
"""The operator's httpx read timeout (``databricks/client.py`` DEFAULT_TIMEOUT): a create that
answers later than this has timed out for the operator, although Databricks made it."""


@dataclass(frozen=True)
class Fault:
    """One fault class: the emulator's fault keys, how long it lasts, and how ``/metrics`` shows
    it (a predicate over the scrape's request counts by status code and the throttle count)."""

    faults: dict[str, Any]
    seconds: float
    shows: Callable[[dict[str, float], float], bool] | None
    """None: the fault has no series of its own (a slow token endpoint); checked otherwise."""
    config: dict[str, Any] = field(default_factory=dict)


def _code(code: str) -> Callable[[dict[str, float], float], bool]:
    return lambda by_code, _throttled: by_code.get(code, 0) > 0


FAULTS = [
    pytest.param(
        Fault({"rate_5xx": 0.3, "status_5xx": 503}, 15, _code("503")),
        id="503",
    ),
    pytest.param(Fault({"rate_5xx": 0.3, "status_5xx": 500}, 15, _code("500")), id="500"),
    pytest.param(
        Fault({"rate_429": 0.6, "retry_after": 2}, 15, lambda _c, throttled: throttled > 0),
        id="429-bursts",
    ),
    pytest.param(Fault({"drop_connection_rate": 0.3}, 15, _code("none")), id="dropped"),
    pytest.param(
        # Each create commits at once and answers after the operator's read timeout.
        Fault(
            {"slow_create_seconds": CLIENT_READ_TIMEOUT + 5},
            CLIENT_READ_TIMEOUT + 10,
            _code("none"),
        ),
        id="creates-time-out",
    ),
    pytest.param(
        # Tokens live 20 s and take 3 s to grant: refreshed several times while rules are made.
        Fault({"token_latency_seconds": 3.0}, 45, None, {"token_expires_in": 20}),
        id="slow-short-tokens",
    ),
    pytest.param(
        Fault(
            {
                "rate_5xx": 0.15,
                "rate_429": 0.2,
                "drop_connection_rate": 0.1,
                "token_latency_seconds": 1.0,
                "latency": {"*": 0.2},
            },
            20,
            lambda by_code, throttled: throttled > 0 and by_code.get("503", 0) > 0,
        ),
        id="everything",
    ),
]

_SERIES = re.compile(
    r'^ncc_operator_databricks_requests_total\{[^}]*status_code="([^"]+)"[^}]*\} ([0-9.e+]+)$',
    re.M,
)


def requests_by_code(metrics: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for code, value in _SERIES.findall(metrics):
        out[code] = out.get(code, 0.0) + float(value)
    return out


def throttled(metrics: str) -> float:
    found = re.search(r"^ncc_operator_databricks_throttled_total ([0-9.e+]+)$", metrics, re.M)
    return float(found.group(1)) if found else 0.0


def _rules(count: int) -> str:
    return "".join(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: f{i}}}
spec:
  nccRef: {{name: prod}}
  azure: {{resourceId: "{AZURE_STORAGE.format(name=f"faults{i}")}", groupId: blob}}
---"""
        for i in range(count)
    )


@pytest.mark.timeout(600 if SOAK else 360)
@pytest.mark.parametrize("fault", FAULTS)
def test_everything_converges_once_the_faults_stop(
    azure: Suite, figures: Figures, fault: Fault, request: pytest.FixtureRequest
) -> None:
    env = azure.env
    admin = env.emulator.admin
    if fault.config:
        admin.configure(**fault.config)
    admin.set_faults(**fault.faults, seed=7)
    env.account()
    env.ncc("prod")
    rules = sized(ci=6, soak=40)
    env.apply(_rules(rules))
    time.sleep(fault.seconds)
    admin.clear_faults()
    found = audited(env, timeout=SETTLE, ready_reasons=("AwaitingApproval", "Established"))
    metrics = azure.metrics()
    by_code, throttles = requests_by_code(metrics), throttled(metrics)
    hits = leaks(env, [azure.canary], metrics_url=azure.metrics_url)
    counts = admin.request_counts()
    case = request.node.callspec.id
    figures.count(
        "faults",
        cases=1,
        rules=found.rules,
        creates=counts.get(endpoints.CREATE_RULE.key, 0),
        token_grants=counts.get(endpoints.ACCOUNT_TOKEN.key, 0),
        seen_5xx=int(by_code.get("500", 0) + by_code.get("503", 0)),
        seen_429=int(throttles),
        seen_no_answer=int(by_code.get("none", 0)),
        duplicates=len(found.duplicates),
        orphans=len(found.orphans),
        unconverged=len(found.unconverged),
        leaks=len(hits),
    )
    assert found.clean, f"{case}: {found}\n{env.operator.logs()[-4000:]}"
    assert found.rules == rules
    if fault.shows is not None:
        shown = fault.shows(by_code, throttles)
        assert shown, f"{case}: /metrics shows {by_code}, {throttles} throttled"
    else:  # the slow token endpoint: its tokens expired and were granted again, slowly
        assert counts.get(endpoints.ACCOUNT_TOKEN.key, 0) >= 2, "short-lived tokens were renewed"
    assert not hits, hits
