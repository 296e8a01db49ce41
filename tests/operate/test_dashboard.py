"""The Grafana dashboard: valid PromQL (checked by promtool), the panels the issue asks for, and
the metric names it queries (``metric_names``; test_scrape checks them against a real scrape).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "monitoring" / "grafana" / "ncc-operator.json"

_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLES = re.compile(r"\$\{?\w+\}?")
_IDENT = re.compile(r"(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
# Grafana's variables, replaced by what they expand to for promtool's parser.
GRAFANA_VARS = {
    "$__rate_interval": "5m",
    "$__range": "1h",
    "$job": ".*",
    "$endpoint_hour_price": "0",
}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels excluded)."""
    text = _VARIABLES.sub(" ", _STRINGS.sub('""', expr))
    text = _GROUPING.sub(" ", _RANGES.sub(" ", _MATCHERS.sub(" ", text)))
    return {
        m.group(1) for m in _IDENT.finditer(text) if not m.group(2) and m.group(1) not in _KEYWORDS
    }


@pytest.mark.parametrize(
    ("expr", "names", "reason"),
    [
        ("up", {"up"}, "a bare selector"),
        ('sum by (kind) (x_total{a="b", c=~"sum|rate"})', {"x_total"}, "grouping and values"),
        ("histogram_quantile(0.9, sum by (le) (rate(h_bucket[5m])))", {"h_bucket"}, "functions"),
        ("a / b > 0.1 and on(job) c", {"a", "b", "c"}, "binary operators and on()"),
        ("sum(x) * 720 * $endpoint_hour_price", {"x"}, "a Grafana variable is no metric"),
        ("rate(x[$__rate_interval])", {"x"}, "a Grafana range variable"),
        ('{__name__="x"}', set(), "no metric name outside the braces"),
    ],
)
def test_metric_names(expr: str, names: set[str], reason: str) -> None:
    assert metric_names(expr) == names, reason


def board() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def targets() -> list[tuple[str, str]]:
    return [
        (panel["title"], target["expr"])
        for panel in board()["panels"]
        for target in panel.get("targets", [])
    ]


def variable_queries() -> list[str]:
    """Metric-bearing template queries (``label_values(metric, label)``)."""
    out = []
    for var in board()["templating"]["list"]:
        query = var.get("definition", "")
        if query.startswith("label_values("):
            out.append(query[len("label_values(") :].split(",")[0].strip())
    return out


def all_queried_names() -> set[str]:
    return {n for _, e in targets() for n in metric_names(e)} | set(variable_queries())


def test_every_expression_is_valid_promql(tool: Callable[[str], Path], tmp_path: Path) -> None:
    rules = []
    for i, (_, expr) in enumerate(targets()):
        expanded = expr
        for var, value in GRAFANA_VARS.items():
            expanded = expanded.replace(var, value)
        rules.append({"record": f"dashboard:expr_{i}", "expr": expanded})
    path = tmp_path / "dashboard.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    command = [str(tool("promtool")), "check", "rules", str(path)]
    checked = subprocess.run(command, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# The issue's panels, each proven by the metric it must query.
REQUIRED = [
    ("controller_runtime_reconcile_total", "reconciles"),
    ("controller_runtime_reconcile_errors_total", "errors"),
    ("ncc_operator_databricks_request_duration_seconds_bucket", "Databricks latency"),
    ("ncc_operator_databricks_throttled_total", "Databricks throttling"),
    ("ncc_operator_resources", "objects by state"),
    ("ncc_operator_private_endpoint_rules", "endpoints by connection state / cost panel"),
    ("ncc_operator_time_to_ready_seconds_bucket", "time to Ready"),
]


@pytest.mark.parametrize(("metric", "panel"), REQUIRED)
def test_dashboard_has_the_panels_the_issue_asks_for(metric: str, panel: str) -> None:
    assert metric in all_queried_names(), panel


def test_cost_panel_counts_endpoints() -> None:
    cost = [t for t, e in targets() if "cost" in t.lower() and "private_endpoint_rules" in e]
    assert cost, "no cost panel over the endpoint count"


def test_panels_are_well_formed() -> None:
    panels = board()["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        assert panel["gridPos"]["x"] >= 0
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
