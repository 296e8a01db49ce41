"""Load suite: 1,000 rules over 10 NCCs applied in one ``kubectl apply`` (soak: 5,000 over 50),
each created exactly once at Databricks, every one Ready once its owner approved it, and nothing
duplicated, orphaned or leaked. The emulator's quotas are raised for it (the default Azure quota
is 100 endpoints per region)."""

from __future__ import annotations

import time

import pytest

from ncc_emulator import endpoints
from tests.cluster.conftest import AZURE_STORAGE, GROUP, VERSION
from tests.operate.scrape import Scrape
from tests.reliability.conftest import Suite, SuiteFactory
from tests.reliability.support import (
    NCC_KIND,
    RULE_KIND,
    SOAK,
    Figures,
    audited,
    leaks,
    objects,
    sized,
)

RULES = sized(ci=1000, soak=5000)
PER_NCC = 100
NCCS = RULES // PER_NCC
SETTLE = 1800.0 if SOAK else 600.0


def _manifest() -> str:
    nccs = "".join(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: NetworkConnectivityConfig
metadata: {{name: ncc-{n}}}
spec: {{accountRef: {{name: main}}, region: eastus2}}
---"""
        for n in range(NCCS)
    )
    rules = "".join(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: r{i}}}
spec:
  nccRef: {{name: ncc-{i // PER_NCC}}}
  azure: {{resourceId: "{AZURE_STORAGE.format(name=f"load{i}")}", groupId: blob}}
---"""
        for i in range(RULES)
    )
    return nccs + rules


def _approve_pending(suite: Suite) -> int:
    admin = suite.env.emulator.admin
    pending = [r["rule_id"] for r in admin.state()["rules"] if r["connection_state"] == "PENDING"]
    for rule_id in pending:
        admin.approve(rule_id)
    return len(pending)


@pytest.mark.timeout(3600 if SOAK else 900)
def test_rules_applied_at_once_are_created_once_and_all_ready_after_approval(
    suite_factory: SuiteFactory, figures: Figures
) -> None:
    suite = suite_factory(
        "azure",
        [(1111, "eastus2")],
        limits={"endpoints_per_region": RULES + 100, "nccs_per_region": NCCS + 10},
    )
    env = suite.env
    env.account()
    started = time.monotonic()
    # Server-side, with time for 5,000 objects (kubectl's client-side apply of that many takes
    # longer than the harness's default 60 s timeout).
    env.cluster.kubectl(
        "-n", env.namespace, "apply", "--server-side", "-f", "-", input=_manifest(), timeout=900
    )
    applied = time.monotonic() - started
    approved = 0
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        approved += _approve_pending(suite)
        if approved >= RULES:
            break
        time.sleep(2.0)
    found = audited(env, timeout=max(60.0, deadline - time.monotonic()))
    all_ready = time.monotonic() - started
    counts = env.emulator.admin.request_counts()
    creates = counts.get(endpoints.CREATE_RULE.key, 0)
    # What Databricks created (nothing is deleted here): a POST may be counted and never commit
    # (its client gave up waiting and the server dropped it), so the POST count is a figure, and
    # "created once" is judged on the account's rules.
    committed = len(env.emulator.admin.state()["rules"])
    # A create re-sent after one that did commit is answered "already exists" (409): none.
    resent = Scrape(suite.metrics()).value(
        "ncc_operator_databricks_requests_total", operation="create_rule", status_code="409"
    )
    hits = leaks(env, [suite.canary], metrics_url=suite.metrics_url)
    figures.add(
        "load",
        f"rules={RULES} nccs={NCCS} apply={applied:.1f}s all_ready={all_ready:.1f}s "
        f"rule_creates={creates} rules_created={committed} creates_answered_409={resent:g} "
        f"ncc_creates={counts.get(endpoints.CREATE_NCC.key, 0)} "
        f"approved={approved} {found.figures()} leaks={len(hits)}",
    )
    assert found.clean, str(found)[:4000]
    assert committed == RULES, "each rule created exactly once"
    assert resent == 0, "a create was re-sent after one that had committed"
    assert creates >= RULES
    assert found.rules == RULES
    assert len(objects(env, RULE_KIND)) == RULES
    assert len(objects(env, NCC_KIND)) == NCCS
    assert not hits, hits
