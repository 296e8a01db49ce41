"""The chart snippets of monitoring/chart render with ``helm template`` inside a scratch copy of
the real chart (its helpers and its metrics Service), with every toggle off and on.

The snippets are not yet part of helm/ (another owner's files): this proves they are ready to
drop in, as monitoring/README.md describes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "ncc-operator"
SNIPPETS = ROOT / "monitoring" / "chart"
RULES = ROOT / "monitoring" / "prometheus" / "ncc-operator.rules.yaml"
DASHBOARD = ROOT / "monitoring" / "grafana" / "ncc-operator.json"


def scratch_chart(tmp_path: Path) -> Path:
    chart = tmp_path / "ncc-operator"
    (chart / "templates").mkdir(parents=True)
    (chart / "files").mkdir()
    shutil.copy(CHART / "Chart.yaml", chart / "Chart.yaml")
    for name in ("_helpers.tpl", "service.yaml"):
        shutil.copy(CHART / "templates" / name, chart / "templates" / name)
    for snippet in ("servicemonitor.yaml", "prometheusrule.yaml", "dashboard-configmap.yaml"):
        shutil.copy(SNIPPETS / snippet, chart / "templates" / snippet)
    shutil.copy(RULES, chart / "files" / RULES.name)
    shutil.copy(DASHBOARD, chart / "files" / DASHBOARD.name)
    values = yaml.safe_load((SNIPPETS / "values.yaml").read_text())
    service = {"enabled": True, "type": "ClusterIP", "port": 8080, "annotations": {}}
    values["metrics"].update({"port": 8080, "service": service})
    values.update({"nameOverride": "", "fullnameOverride": ""})
    (chart / "values.yaml").write_text(yaml.safe_dump(values))
    return chart


def render(helm: Path, chart: Path, *sets: str) -> dict[str, dict[str, Any]]:
    args = [str(helm), "template", "rel", str(chart), "--namespace", "ncc-system"]
    args += ["--kube-version", "1.33.0"]  # the chart requires >= 1.27
    for item in sets:
        args += ["--set", item]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    docs = [d for d in yaml.safe_load_all(done.stdout) if d]
    return {d["kind"]: d for d in docs}


def test_toggles_off_render_only_the_service(tool: Callable[[str], Path], tmp_path: Path) -> None:
    assert set(render(tool("helm"), scratch_chart(tmp_path))) == {"Service"}


def test_toggles_on_render_monitor_rules_and_dashboard(
    tool: Callable[[str], Path], tmp_path: Path
) -> None:
    objects = render(
        tool("helm"),
        scratch_chart(tmp_path),
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
