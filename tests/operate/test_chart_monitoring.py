"""The chart's monitoring objects (ServiceMonitor, PrometheusRule, Grafana dashboard ConfigMap),
rendered with ``helm template`` from the real chart with every toggle off and on, and the chart's
copies of the alerts and the dashboard identical to their sources in monitoring/.
"""

from __future__ import annotations

import filecmp
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "ncc-operator"
RULES = ROOT / "monitoring" / "prometheus" / "ncc-operator.rules.yaml"
DASHBOARD = ROOT / "monitoring" / "grafana" / "ncc-operator.json"
PROJECT_RUNBOOKS = "https://github.com/ncc-operator/ncc-operator/blob/main/docs/runbooks.md"
MONITORING_KINDS = {"ServiceMonitor", "PrometheusRule", "ConfigMap"}


def render(helm: Path, *sets: str) -> dict[str, dict[str, Any]]:
    args = [str(helm), "template", "rel", str(CHART), "--namespace", "ncc-system"]
    args += ["--kube-version", "1.33.0"]  # the chart requires >= 1.27
    for item in sets:
        args += ["--set", item]
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # real helm
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    return {d["kind"]: d for d in docs}


def test_the_chart_ships_the_alerts_and_dashboard_of_monitoring() -> None:
    for source in (RULES, DASHBOARD):
        copy = CHART / "files" / source.name
        assert filecmp.cmp(source, copy, shallow=False), f"{copy} differs: run make chart-sync"


def test_toggles_off_render_no_monitoring_objects(tool: Callable[[str], Path]) -> None:
    assert not MONITORING_KINDS & set(render(tool("helm")))


def test_toggles_on_render_monitor_rules_and_dashboard(tool: Callable[[str], Path]) -> None:
    objects = render(
        tool("helm"),
        "metrics.serviceMonitor.enabled=true",
        "metrics.serviceMonitor.labels.release=kube-prometheus-stack",
        "metrics.prometheusRule.enabled=true",
        "metrics.dashboard.enabled=true",
    )
    service, monitor = objects["Service"], objects["ServiceMonitor"]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items(), "selects the metrics Service"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == service["spec"]["ports"][0]["name"] == "metrics"
    assert endpoint["honorLabels"] is True
    # The alerts arrive verbatim, with their {{ $labels }} templates untouched by Helm.
    rule = objects["PrometheusRule"]
    assert rule["spec"] == yaml.safe_load(RULES.read_text())
    board = objects["ConfigMap"]
    assert board["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(board["data"]["ncc-operator.json"]) == json.loads(DASHBOARD.read_text())


def test_runbook_links_point_where_the_values_say(tool: Callable[[str], Path]) -> None:
    base = "https://docs.example.internal/ncc-operator/runbooks.html"
    objects = render(
        tool("helm"),
        "metrics.prometheusRule.enabled=true",
        f"metrics.prometheusRule.runbookBaseUrl={base}/",
    )
    alerts = [r for g in objects["PrometheusRule"]["spec"]["groups"] for r in g["rules"]]
    urls = {a["alert"]: a["annotations"]["runbook_url"] for a in alerts}
    assert urls, "no alerts rendered"
    for alert, url in urls.items():
        assert url == f"{base}#{alert.lower()}", alert
    assert PROJECT_RUNBOOKS in RULES.read_text(), "the source keeps the project's own links"


def test_a_service_monitor_needs_the_metrics_service(tool: Callable[[str], Path]) -> None:
    objects = render(
        tool("helm"), "metrics.serviceMonitor.enabled=true", "metrics.service.enabled=false"
    )
    assert "ServiceMonitor" not in objects, "it would select nothing"
