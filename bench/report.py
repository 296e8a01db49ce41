"""The run's JSON document and its markdown table (targets from DESIGN §6)."""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from .baseline import BaselineResult
from .operator_run import OperatorResult
from .params import Params


def conditions() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "loadavg_1m_5m": [round(load1, 2), round(load5, 2)],
        "python": platform.python_version(),
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if a > 0 and b > 0 else None


def document(
    params: Params,
    command: str,
    baseline: BaselineResult | None,
    operator: OperatorResult,
    started: dict[str, Any],
) -> dict[str, Any]:
    floor = params.floor_seconds()
    base_seconds = baseline.seconds if baseline else 0.0
    return {
        "command": command,
        "conditions": {"start": started, "end": conditions()},
        "params": params.to_json(),
        "ratios": {
            "operator_over_floor": _ratio(operator.ready_seconds, floor),
            "baseline_over_operator": _ratio(base_seconds, operator.ready_seconds),
        },
        "baseline": dataclasses.asdict(baseline) if baseline else None,
        "operator": dataclasses.asdict(operator),
    }


def write(doc: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    return path


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}{unit}"
    return f"{value}{unit}"


def _ready_times(times: dict[str, list[float]]) -> str:
    account = times.get("databricksaccounts", [None])[-1]
    ncc = times.get("networkconnectivityconfigs", [None])[-1]
    rules = ", ".join(f"{t:.1f}" for t in times.get("privateendpointrules", []))
    return f"{_fmt(account, ' s')} / {_fmt(ncc, ' s')} / {rules or 'n/a'} s"


def table(doc: dict[str, Any]) -> str:
    p, op = doc["params"], doc["operator"]
    base, ratios = doc["baseline"], doc["ratios"]
    idle, restart, patches = op["idle"], op["restart"], op["patches_to_ready"]
    per = "privateendpointrules"
    rows: list[tuple[str, str, str]] = [
        ("Floor: N/R + create latency + CREATING", _fmt(p["floor_seconds"], " s"), ""),
        (
            "Operator: `kubectl apply` → all Ready",
            f"{_fmt(op['ready_seconds'], ' s')} (apply itself {_fmt(op['apply_seconds'], ' s')})",
            "",
        ),
        (
            f"Terraform-style SDK baseline (parallelism {p['baseline_parallelism']})",
            _fmt(base["seconds"] if base else None, " s"),
            "",
        ),
        (
            "Ready after apply: account / last NCC / rules first, median, last",
            _ready_times(op["ready_times"]),
            "",
        ),
        (
            "Rule ids in status (≈ create answered): first, median, last",
            ", ".join(f"{t:.1f}" for t in op.get("rule_id_times", [])) + " s"
            if op.get("rule_id_times")
            else "n/a",
            "",
        ),
        (
            "Operator CPU, apply → settled",
            _fmt(op["cpu_seconds_to_settle"], " s"),
            "",
        ),
        ("**operator / floor**", _fmt(ratios["operator_over_floor"]), "≤ 1.2"),
        ("**baseline / operator**", _fmt(ratios["baseline_over_operator"]), "≥ 3"),
        (
            "Status patches per rule, apply → Ready (max / mean)",
            f"{patches.get(per, 'n/a')} / {patches.get(per + '.mean', 'n/a')}",
            "≤ 3",
        ),
        (
            "… per rule until settled (max / mean)",
            f"{patches.get(per + '.settle_max', 'n/a')} / "
            f"{patches.get(per + '.settle_mean', 'n/a')}",
            "",
        ),
        (
            "Status patches per NCC / account, apply → Ready (max)",
            f"{patches.get('networkconnectivityconfigs', 'n/a')} / "
            f"{patches.get('databricksaccounts', 'n/a')}",
            "≤ 3",
        ),
        (
            f"Idle: Databricks reads per resync ({p['nccs']} NCCs, 1 account)",
            f"{_fmt(idle.get('reads_per_resync'))} (per-rule reads "
            f"{_fmt(idle.get('rule_reads_per_resync'))})",
            "O(NCCs), 0 per-rule",
        ),
        ("Idle: Databricks writes", _fmt(idle.get("writes")), "0"),
        ("Idle: operator CPU per resync", _fmt(idle.get("cpu_seconds_per_resync"), " s"), ""),
        (
            "Idle: status patches (metadata-only patches)",
            f"{_fmt(idle.get('status_patches'))} ({_fmt(idle.get('metadata_patches'))})",
            "0",
        ),
        (
            "Peak RSS of the operator (VmHWM): apply+idle / restarted process",
            f"{_fmt(op['peak_rss_mb'], ' MiB')} / {_fmt(restart.get('peak_rss_mb'), ' MiB')}",
            "≤ 150 MB at 1,000",
        ),
        ("Restart: Databricks writes", _fmt(restart.get("writes")), "0"),
        (
            "Restart: Databricks reads (per-rule reads)",
            f"{_fmt(restart.get('reads'))} ({_fmt(restart.get('rule_reads'))})",
            "O(NCCs)",
        ),
        (
            "Restart: status patches (metadata-only patches)",
            f"{_fmt(restart.get('status_patches'))} ({_fmt(restart.get('metadata_patches'))})",
            "0",
        ),
        (
            "Restart: process start → steady state",
            f"{_fmt(restart.get('steady_seconds'), ' s')} (of which start-up "
            f"{_fmt(restart.get('process_start_seconds'), ' s')})",
            "< 30 s",
        ),
    ]
    head = (
        f"N={p['rules']} rules over M={p['nccs']} NCCs; latency {p['latency_ms']:g} ms "
        f"(rule POST {p['create_latency_ms']:g} ms), server rate limit {p['rate_limit']:g} rps, "
        f"CREATING {p['creating_seconds']:g} s; operator resync {p['resync_seconds']:g} s, "
        f"fast {p['fast_seconds']:g} s"
    )
    lines = [head, "", "| Measure | Result | Target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    if op["errors"]:
        lines += ["", "Errors:", *[f"- {e.splitlines()[0]}" for e in op["errors"]]]
    return "\n".join(lines)
