"""Running ``promtool`` and turning a real scrape into ``promtool test rules`` input series.

``scrape_series`` holds every sample of one scrape constant for ``minutes`` (what Prometheus
would store scraping an operator that stays in that state), with the target labels a
ServiceMonitor scrape with ``honorLabels: true`` adds (``job``, ``instance``; the operator's own
``namespace`` wins). ``up`` is what Prometheus itself records for a successful scrape.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any

import yaml

from .scrape import Scrape

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "monitoring" / "prometheus" / "ncc-operator.rules.yaml"
UNIT_TESTS = ROOT / "monitoring" / "prometheus" / "tests" / "alerts_test.yaml"
TARGET = {"job": "ncc-operator-metrics", "instance": "10.0.0.7:8080"}


def run(promtool: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(promtool), *args], capture_output=True, text=True, check=False)


def _selector(name: str, labels: dict[str, str]) -> str:
    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    body = ", ".join(f"{k}={quoted(v)}" for k, v in sorted(labels.items()))
    return f"{name}{{{body}}}"


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Inf" if value > 0 else "-Inf"
    return repr(value)


def scrape_series(scrape: Scrape, minutes: int) -> list[dict[str, str]]:
    series = [{"series": _selector("up", TARGET), "values": f"1x{minutes}"}]
    for sample in scrape.samples:
        if sample.name.endswith("_created"):
            continue  # creation timestamps: not something an alert reads
        labels = {**TARGET, **sample.labels}  # honorLabels: the operator's labels win
        values = f"{_number(sample.value)}x{minutes}"
        series.append({"series": _selector(sample.name, labels), "values": values})
    return series


def write_test(path: Path, tests: list[dict[str, Any]]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": tests},
            sort_keys=False,
        )
    )
    return path
