"""Tokens suite: Databricks access tokens that live 60 s, renewed while rules are being made; then
the client secret is revoked at Databricks (rotated to a new one), which must turn the account not
Ready with a message that says what to do — and, once the Secret holds the new value, Ready again
and working, without a restart. Neither secret may show anywhere the operator writes."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import pytest

from ncc_emulator import endpoints
from tests.cluster.conftest import AZURE_STORAGE, GROUP, VERSION
from tests.reliability.conftest import Suite
from tests.reliability.support import NCC_KIND, RULE_KIND, SOAK, Figures, audited, leaks, sized

TOKEN_SECONDS = 60
"""Short, but longer than the SDK's 40 s "potentially expired" margin (``oauth.py``
``Token.expired``): a token shorter than that would be renewed before every call."""
LOAD_SECONDS = sized(ci=70, soak=300)
LIVE = ("AwaitingApproval", "Established")


def _rule(name: str) -> str:
    return f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: {name}}}
spec:
  nccRef: {{name: prod}}
  azure: {{resourceId: "{AZURE_STORAGE.format(name=name.replace("-", ""))}", groupId: blob}}
---"""


def _synced(obj: dict[str, Any]) -> dict[str, Any]:
    conditions = obj.get("status", {}).get("conditions", [])
    return next((dict(c) for c in conditions if c["type"] == "Synced"), {})


def _unauthorized(metrics: str) -> float:
    series = re.findall(
        r'^ncc_operator_databricks_requests_total\{[^}]*status_code="401"[^}]*\} ([0-9.e+]+)$',
        metrics,
        re.M,
    )
    return sum(float(v) for v in series)


@pytest.mark.timeout(900 if SOAK else 400)
def test_short_tokens_are_renewed_under_load_and_a_revoked_secret_is_reported_then_recovers(
    azure: Suite, figures: Figures
) -> None:
    env = azure.env
    admin = env.emulator.admin
    admin.configure(token_expires_in=TOKEN_SECONDS)
    env.account()
    env.ncc("prod")
    # Rules keep arriving for the whole window, so the operator calls Databricks throughout.
    rules = sized(ci=20, soak=100)
    started = time.monotonic()
    for i in range(rules):
        env.apply(_rule(f"t{i}"))
        time.sleep(LOAD_SECONDS / rules)
    loaded = audited(env, timeout=120, ready_reasons=LIVE)
    assert loaded.clean, str(loaded)
    grants = admin.request_counts().get(endpoints.ACCOUNT_TOKEN.key, 0)
    elapsed = time.monotonic() - started
    # Renewed within each lifetime, yet not per call: about every 20 s (60 s less the margin).
    assert int(elapsed // TOKEN_SECONDS) <= grants <= elapsed / 10 + 2, (
        f"{grants} token grants in {elapsed:.0f} s"
    )
    assert _unauthorized(azure.metrics()) == 0, "an expired token was never sent"

    # Revoked at Databricks: the principal's secret is rotated; the cluster still has the old.
    rotated = f"canary-{secrets.token_urlsafe(18)}"
    admin.add_principal(env.emulator.client_id, rotated, admin=True)
    revoked_at = time.monotonic()
    failed = env.wait_reason(
        "databricksaccounts", "main", "AuthFailed", type_="Synced", timeout=TOKEN_SECONDS + 60
    )
    noticed = time.monotonic() - revoked_at
    synced = next(c for c in failed["status"]["conditions"] if c["type"] == "Synced")
    ready = next(c for c in failed["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "False"
    message = synced["message"]
    assert "credentials" in message.lower(), message
    assert azure.canary not in message
    assert rotated not in message
    # Its NCC says why it cannot work: its own call was refused (AuthFailed), or it waits on the
    # account (ReferenceNotReady) — either way pointing at the account's credentials.
    ncc = env.wait_for(
        NCC_KIND,
        "prod",
        lambda o: _synced(o).get("reason") in {"AuthFailed", "ReferenceNotReady"},
        timeout=60,
        what="the NCC reporting the account's credentials",
    )
    assert "credentials" in _synced(ncc)["message"].lower() or "main" in _synced(ncc)["message"]

    # Fixed: the Secret gets the new value; no restart.
    pid = env.operator.process.pid if env.operator.process else None
    env.account(secret=rotated)
    fixed_at = time.monotonic()
    env.wait_reason("databricksaccounts", "main", "Available", timeout=60)
    recovered = time.monotonic() - fixed_at
    env.apply(_rule("after-fix"))
    env.wait_reason(RULE_KIND, "after-fix", "AwaitingApproval", timeout=60)
    found = audited(env, timeout=120, ready_reasons=LIVE)
    assert env.operator.process is not None
    assert env.operator.process.pid == pid, "recovered without a restart"
    hits = leaks(env, [azure.canary, rotated], metrics_url=azure.metrics_url)
    figures.add(
        "tokens",
        f"token_lifetime={TOKEN_SECONDS}s load={elapsed:.0f}s grants={grants} "
        f"unauthorized=0 revoked_noticed_in={noticed:.1f}s recovered_in={recovered:.1f}s "
        f"rules={found.rules} {found.figures()} leaks={len(hits)}",
    )
    assert found.clean, str(found)
    assert found.rules == rules + 1
    assert not hits, hits
