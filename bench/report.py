"""The run's JSON document (a stable schema, bench/README.md) and its markdown table.

Every figure the issue sets a target for sits under a fixed key in ``runs[i].figures`` (and, for
``--scale``, in ``scale``), so a run can be compared with the last one by key; the table prints
each with its target and whether it is met.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .baseline import GO_SDK_DEFAULT_RPS, BaselineResult, TerraformResult
from .operator_run import OperatorResult
from .params import Params

SCHEMA = 2


@dataclass
class SizeRun:
    """Everything measured at one size."""

    params: Params
    operator: OperatorResult | None = None
    terraform: list[TerraformResult] = field(default_factory=list)
    polling: BaselineResult | None = None


def conditions() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "loadavg_1m_5m": [round(load1, 2), round(load5, 2)],
        "python": platform.python_version(),
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b and a > 0 and b > 0 else None


def _terraform(run: SizeRun, rps: float) -> TerraformResult | None:
    return next((t for t in run.terraform if t.client_rps == rps), None)


def figures(run: SizeRun) -> dict[str, float | int | None]:
    """The targeted figures of one size, under fixed keys (None: not measured in this run)."""
    p, op = run.params, run.operator or OperatorResult()
    idle, restart, kube = op.idle, op.restart, op.kube_requests
    tf_default = _terraform(run, GO_SDK_DEFAULT_RPS)
    tf_equal = _terraform(run, p.operator_rps)
    cpu = idle.get("cpu_seconds_per_resync")
    reads = idle.get("reads_per_resync")
    plan = tf_equal.plan_calls if tf_equal else p.rules + p.nccs
    first = op.first_create_seconds
    return {
        "objects": p.objects,
        "floor_seconds": round(p.floor_seconds(), 2),
        "apply_seconds": op.apply_seconds,
        "ready_seconds": op.ready_seconds or None,
        "operator_over_floor": _ratio(op.ready_seconds, p.floor_seconds()),
        "first_create_seconds": first,
        "first_create_after_apply_returned_seconds": (
            round(first - op.apply_seconds, 2) if first is not None else None
        ),
        "terraform_15rps_established_seconds": tf_default.established_seconds
        if tf_default
        else None,
        "terraform_equal_rate_established_seconds": tf_equal.established_seconds
        if tf_equal
        else None,
        "terraform_equal_rate_over_operator": _ratio(
            tf_equal.established_seconds if tf_equal else None, op.ready_seconds
        ),
        "terraform_plan_calls": plan,
        "rule_patches_to_ready_max": op.patches_to_ready.get("privateendpointrules"),
        "idle_cpu_seconds_per_resync": cpu,
        "idle_cpu_percent_of_core": round(100 * cpu / p.resync_seconds, 2)
        if cpu is not None
        else None,
        "idle_reads_per_resync": reads,
        "idle_reads_over_plan": round(reads / plan, 4) if reads is not None and plan else None,
        "idle_rule_reads_per_resync": idle.get("rule_reads_per_resync"),
        "idle_writes": idle.get("writes"),
        "idle_status_patches": idle.get("status_patches"),
        "kube_requests_to_ready_per_object": kube.get("to_ready", {}).get("per_object"),
        "kube_requests_idle_beyond_watches": kube.get("idle", {}).get("beyond_watches"),
        "kube_requests_idle_beyond_watches_and_secret_reads": kube.get("idle", {}).get(
            "beyond_watches_and_secret_reads"
        ),
        "kube_secret_reads_per_account_resync": _per_account_resync(
            kube.get("idle", {}).get("secret_reads"), idle.get("seconds"), p
        ),
        "peak_rss_mib": op.peak_rss_mb or None,
        "restarted_rss_mib": restart.get("peak_rss_mb"),
        "restart_writes": restart.get("writes"),
        "restart_reads": restart.get("reads"),
        "restart_steady_seconds": restart.get("steady_seconds"),
        "established_to_ready_p99_seconds": op.transitions.get("p99_seconds"),
        "established_to_ready_p99_over_target": _ratio(
            op.transitions.get("p99_seconds"), op.transitions.get("target_seconds")
        ),
        "transition_reads_per_minute_per_ncc": op.transitions.get("reads_per_minute_per_ncc"),
    }


def scale(runs: list[SizeRun]) -> dict[str, float | None]:
    """Per-object costs between the smallest and the largest size of the run."""
    if len(runs) < 2:
        return {}
    small, large = figures(runs[0]), figures(runs[-1])
    extra = float(large["objects"] or 0) - float(small["objects"] or 0)
    rss_small, rss_large = small["peak_rss_mib"], large["peak_rss_mib"]
    return {
        "idle_cpu_ratio": _ratio(
            _num(large["idle_cpu_seconds_per_resync"]), _num(small["idle_cpu_seconds_per_resync"])
        ),
        "rss_mib_per_extra_object": round((rss_large - rss_small) / extra, 4)
        if rss_small and rss_large and extra > 0
        else None,
    }


def _per_account_resync(reads: int | None, seconds: float | None, p: Params) -> float | None:
    """Secret reads per account resync over the idle window (the bench has one account)."""
    if reads is None or not seconds:
        return None
    return round(reads / max(1.0, seconds / p.account_resync_seconds), 2)


def _num(value: float | int | None) -> float | None:
    return float(value) if value is not None else None


def document(command: str, runs: list[SizeRun], started: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "command": command,
        "conditions": {"start": started, "end": conditions()},
        "runs": [
            {
                "params": r.params.to_json(),
                "figures": figures(r),
                "operator": dataclasses.asdict(r.operator) if r.operator else None,
                "terraform": [
                    {**dataclasses.asdict(t), "calls_match": t.calls_match} for t in r.terraform
                ],
                "polling_baseline": dataclasses.asdict(r.polling) if r.polling else None,
            }
            for r in runs
        ],
        "scale": scale(runs),
    }


def write(doc: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json"
    path.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
    return path


Check = Callable[[float, int], bool | None]
"""(value, rules of that size) → met?  None: no target at this size."""


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    target: str = ""
    check: Check | None = None


def _at_most(limit: float) -> Check:
    return lambda v, _n: v <= limit


def _floor_target(v: float, n: int) -> bool:
    return v <= (1.3 if n <= 100 else 1.2)


def _rss_target(v: float, n: int) -> bool | None:
    if n >= 5000:
        return v <= 250
    return v <= 150 if n >= 1000 else None


def _cpu_target(v: float, n: int) -> bool | None:
    return v <= 1.0 if n >= 1000 else None


def _terraform_target(v: float, n: int) -> bool | None:
    return v >= 1.8 if n >= 300 else None


ROWS = [
    Row("floor_seconds", "Floor: N/R + create latency + CREATING (s)"),
    Row("ready_seconds", "Operator: `kubectl apply` → all Ready (s)"),
    Row("apply_seconds", "… of which `kubectl apply` itself (s)"),
    Row("operator_over_floor", "**operator / floor**", "≤ 1.2 (≤ 1.3 at N ≤ 100)", _floor_target),
    Row(
        "first_create_after_apply_returned_seconds",
        "First Databricks id in status after `kubectl apply` returned (s; < 0: during it)",
        "≤ 2",
        _at_most(2.0),
    ),
    Row("terraform_15rps_established_seconds", "Terraform pattern, 15 req/s: all ESTABLISHED (s)"),
    Row(
        "terraform_equal_rate_established_seconds",
        "Terraform pattern, operator's rate: all ESTABLISHED (s)",
    ),
    Row(
        "terraform_equal_rate_over_operator",
        "**Terraform (equal rate) / operator**",
        "≥ 1.8 at N ≥ 300",
        _terraform_target,
    ),
    Row("rule_patches_to_ready_max", "Status patches per rule to Ready (max)", "≤ 3", _at_most(3)),
    Row(
        "idle_cpu_percent_of_core",
        "Idle: operator CPU, % of one core",
        "≤ 1 at ≥ 1,000 objects",
        _cpu_target,
    ),
    Row("idle_reads_per_resync", "Idle: Databricks reads per resync"),
    Row(
        "idle_reads_over_plan",
        "Idle: reads per resync / one `terraform plan`",
        "≤ 0.05",
        _at_most(0.05),
    ),
    Row("idle_rule_reads_per_resync", "Idle: per-rule reads per resync", "0", _at_most(0)),
    Row("idle_writes", "Idle: Databricks writes", "0", _at_most(0)),
    Row("idle_status_patches", "Idle: status patches", "0", _at_most(0)),
    Row("kube_requests_to_ready_per_object", "kube-apiserver requests per object, apply → Ready"),
    Row("kube_requests_idle_beyond_watches", "Idle: kube-apiserver requests beyond watches"),
    Row(
        "kube_requests_idle_beyond_watches_and_secret_reads",
        "… of which not the account's Secret GET",
        "0",
        _at_most(0),
    ),
    Row(
        "kube_secret_reads_per_account_resync",
        "Idle: Secret GETs per account resync (no list/watch of Secrets, by design)",
        "≤ 1",
        _at_most(1),
    ),
    Row(
        "peak_rss_mib",
        "Peak RSS, apply + idle (MiB)",
        "≤ 150 at 1,000; ≤ 250 at 5,000",
        _rss_target,
    ),
    Row("restarted_rss_mib", "Peak RSS of the restarted process (MiB)"),
    Row("restart_writes", "Restart: Databricks writes", "0", _at_most(0)),
    Row("restart_reads", "Restart: Databricks reads", "O(NCCs)"),
    Row("restart_steady_seconds", "Restart: process start → steady (s)", "≤ 30", _at_most(30)),
    Row("established_to_ready_p99_seconds", "Transitions: ESTABLISHED → Ready, p99 (s)"),
    Row(
        "established_to_ready_p99_over_target",
        "Transitions: p99 / (fast interval + 2 s)",
        "≤ 1",
        _at_most(1.0),
    ),
    Row(
        "transition_reads_per_minute_per_ncc",
        "Transitions: Databricks reads per minute per NCC",
        "O(NCCs)",
    ),
]


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _cell(row: Row, value: Any, rules: int) -> str:
    text = _fmt(value)
    if row.check is None or value is None:
        return text
    met = row.check(float(value), rules)
    return text if met is None else f"{text} {'✓' if met else '✗'}"


def table(doc: dict[str, Any]) -> str:
    runs = doc["runs"]
    heads = [
        f"N={r['params']['rules']}, M={r['params']['nccs']}, {r['params']['regions']} region(s)"
        for r in runs
    ]
    p = runs[0]["params"]
    pace = "the operator's defaults" if p["operator_defaults"] else "overridden"
    lines = [
        f"latency {p['latency_ms']:g} ms (rule POST {p['create_latency_ms']:g} ms), server rate "
        f"limit {p['rate_limit']:g} rps, CREATING {p['creating_seconds']:g} s; operator resync "
        f"{p['resync_seconds']:g} s, fast {p['fast_seconds']:g} s ({pace}); idle "
        f"{p['idle_resyncs']} resyncs",
        "",
        "| Measure | " + " | ".join(heads) + " | Target |",
        "|---|" + "---|" * len(runs) + "---|",
    ]
    for row in ROWS:
        cells = [_cell(row, r["figures"].get(row.key), r["params"]["rules"]) for r in runs]
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {row.target} |")
    sc = doc["scale"]
    if sc:
        ratio, per = sc.get("idle_cpu_ratio"), sc.get("rss_mib_per_extra_object")
        met = "" if ratio is None else (" ✓" if ratio <= 2 else " ✗")
        lines += [
            "",
            f"Idle CPU, largest / smallest size: {_fmt(ratio)}{met} (target ≤ 2); "
            f"peak RSS per extra object: {_fmt(per)} MiB",
        ]
    for r in runs:
        errors = (r["operator"] or {}).get("errors") or []
        if errors:
            lines += ["", "Errors:", *[f"- {e.splitlines()[0]}" for e in errors]]
        for tf in r["terraform"]:
            if not tf["calls_match"]:
                lines.append(f"- Terraform pattern at {tf['client_rps']:g} rps sent extra calls")
    return "\n".join(lines)
