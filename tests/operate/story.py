"""Real stories for the operate tests: an operator with ``/metrics`` on, driven through states.

``serve_metrics`` restarts the harness's operator with a free metrics port (the harness runs it
with the endpoint off); ``broken_story`` leaves one rule of each interesting state, including a
drift correction after an out-of-band delete and a rejection by the "cloud owner" (the
emulator's admin API), which is what the alerts and the dashboard are proven against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from tests.cluster.conftest import Env, free_port
from tests.cluster.rules_support import (
    RULE_KIND,
    events_of,
    oob_delete,
    ready_ncc,
    wait_until,
)

from .scrape import Scrape


@dataclass(frozen=True)
class MetricsEndpoint:
    url: str

    def scrape(self) -> Scrape:
        return Scrape(httpx.get(self.url, timeout=10).text)


def serve_metrics(env: Env, *, timeout: float = 30.0) -> MetricsEndpoint:
    port = free_port()
    env.operator.env["NCC_OPERATOR_METRICS_PORT"] = str(port)
    env.operator.restart()
    endpoint = MetricsEndpoint(f"http://127.0.0.1:{port}/metrics")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            endpoint.scrape()
            return endpoint
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"no /metrics on {port}:\n{env.operator.logs()[-3000:]}")


def pending(env: Env, name: str) -> str:
    env.wait_reason(RULE_KIND, name, "AwaitingApproval")
    return env.rule_id(name)


def established(env: Env, name: str) -> str:
    rule_id = pending(env, name)
    env.emulator.admin.approve(rule_id)
    env.wait_reason(RULE_KIND, name, "Established")
    return rule_id


def rejected(env: Env, name: str) -> str:
    rule_id = pending(env, name)
    env.emulator.admin.reject(rule_id)
    env.wait_reason(RULE_KIND, name, "Rejected")
    return rule_id


def everyday_story(env: Env) -> None:
    """An Available account and NCC, one Established rule and one awaiting approval."""
    ready_ncc(env)
    env.azure_rule("blob")
    env.azure_rule("queue")
    established(env, "blob")
    pending(env, "queue")


def broken_story(env: Env) -> str:
    """``blob`` Established, ``queue`` AwaitingApproval, ``sql`` Rejected, ``lake`` recreated
    after an out-of-band delete (AwaitingApproval again). Returns the NCC's Databricks id."""
    ncc_id = ready_ncc(env)
    for name in ("blob", "queue", "sql", "lake"):
        env.azure_rule(name)
    established(env, "blob")
    pending(env, "queue")
    rejected(env, "sql")
    lake = established(env, "lake")
    oob_delete(env, ncc_id, lake)
    wait_until(lambda: bool(events_of(env, "lake", "DriftDetected")), "drift", timeout=45)
    env.wait_for(
        RULE_KIND,
        "lake",
        lambda o: o.get("status", {}).get("id") not in ("", None, lake),
        what="a recreated rule id",
    )
    pending(env, "lake")
    return ncc_id
