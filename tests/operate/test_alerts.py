"""The shipped alerts: promtool accepts them, every alert has a firing and a not-firing unit
test, every alert has summary, description and a runbook section, and a real scrape of an
operator with a rejected rule fires exactly the rule alert (the expressions are proven against
what the operator really exports, not only against hand-written series).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import Env
from tests.cluster.rules_support import ready_ncc

from .promtool import RULES, TARGET, UNIT_TESTS, run, scrape_series, write_test
from .story import pending, rejected, serve_metrics

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = ROOT / "docs" / "runbooks.md"
RUNBOOK_BASE = "https://github.com/ncc-operator/ncc-operator/blob/main/docs/runbooks.md#"


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


ALERT_NAMES = [a["alert"] for a in alerts()]


def test_promtool_check_rules(tool: Callable[[str], Path]) -> None:
    checked = run(tool("promtool"), "check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout


def test_promtool_unit_tests(tool: Callable[[str], Path]) -> None:
    tested = run(tool("promtool"), "test", "rules", str(UNIT_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def _cases() -> dict[str, dict[str, int]]:
    """alertname -> how many evaluations expect it firing / not firing."""
    out = {name: {"firing": 0, "silent": 0} for name in ALERT_NAMES}
    for test in yaml.safe_load(UNIT_TESTS.read_text())["tests"]:
        for case in test.get("alert_rule_test", []):
            key = "firing" if case.get("exp_alerts") else "silent"
            out.setdefault(case["alertname"], {"firing": 0, "silent": 0})[key] += 1
    return out


@pytest.mark.parametrize("alertname", ALERT_NAMES)
def test_every_alert_has_a_firing_and_a_not_firing_case(alertname: str) -> None:
    cases = _cases()[alertname]
    assert cases["firing"] >= 1, cases
    assert cases["silent"] >= 1, cases


def test_the_issue_alerts_are_all_there() -> None:
    assert sorted(ALERT_NAMES) == sorted(
        [
            "NccOperatorDown",  # operator down
            "NccOperatorAbsent",  # operator absent
            "NccOperatorReconcileErrors",  # reconcile errors sustained
            "NccObjectNotReady",  # an object not Ready for 30 min
            "NccRuleAwaitingApproval",  # a rule awaiting approval for 24 h
            "NccRuleFailed",  # Rejected, Disconnected, Expired or CreateFailed
            "NccDatabricksThrottled",  # throttling sustained
            "NccDatabricksAuthFailing",  # auth failing
            "NccOperatorNoLeader",  # no leader
        ]
    )


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower-case, punctuation dropped, spaces to dashes."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", markdown, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-") for h in headings}


@pytest.mark.parametrize("alert", alerts(), ids=ALERT_NAMES)
def test_every_alert_has_summary_description_and_a_runbook_section(alert: dict[str, Any]) -> None:
    annotations = alert["annotations"]
    assert annotations["summary"].strip()
    assert annotations["description"].strip()
    assert annotations["runbook_url"].startswith(RUNBOOK_BASE)
    anchor = annotations["runbook_url"][len(RUNBOOK_BASE) :]
    assert anchor == alert["alert"].lower()
    assert anchor in _anchors(RUNBOOKS.read_text())
    section = RUNBOOKS.read_text().split(f"## {alert['alert']}", 1)[1].split("\n## ", 1)[0]
    for part in ("Meaning", "Check", "Fix"):
        assert f"**{part}**" in section, (alert["alert"], part)
    assert alert["labels"]["severity"] in {"warning", "critical"}


def test_a_real_scrape_with_a_rejected_rule_fires_exactly_the_rule_alert(
    env: Env, tool: Callable[[str], Path], tmp_path: Path
) -> None:
    endpoint = serve_metrics(env)
    ready_ncc(env)
    env.azure_rule("sql")
    env.azure_rule("queue")
    rejected(env, "sql")
    pending(env, "queue")
    scrape = endpoint.scrape()

    minutes = 45
    firing = {
        "alertname": "NccRuleFailed",
        "alertstate": "firing",
        "namespace": env.namespace,
        "name": "sql",
        "reason": "Rejected",
        "severity": "critical",
    }
    labels = ", ".join(f'{k}="{v}"' for k, v in firing.items())
    test = {
        "name": "a real scrape: rule sql rejected, rule queue awaiting approval",
        "interval": "1m",
        "input_series": scrape_series(scrape, minutes),
        "promql_expr_test": [
            # Before `for: 5m` has passed nothing fires; after it, exactly the rule alert (the
            # pending rule is within its 24 h, the rest is Ready, the operator is up and leads).
            {"expr": 'ALERTS{alertstate="firing"}', "eval_time": "3m", "exp_samples": []},
            {
                "expr": 'ALERTS{alertstate="firing"}',
                "eval_time": "40m",
                "exp_samples": [{"labels": f"ALERTS{{{labels}}}", "value": 1}],
            },
        ],
    }
    path = write_test(tmp_path / "scrape_test.yaml", [test])
    tested = run(tool("promtool"), "test", "rules", str(path))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert TARGET["job"] in path.read_text()
