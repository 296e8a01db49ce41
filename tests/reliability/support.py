"""What every reliability suite shares: its size, its one figure line, and the two audits that
decide whether it passed — Databricks against the cluster, and secrets against everything the
operator shows.

Sizes: each suite has a CI size (in ``make test``) and a soak size (``make soak``, which sets
``NCC_SOAK=1``). The audit is from the user's side: what the emulator holds (the cloud's truth)
against the custom resources in the test's namespace.

- **duplicate**: two live Databricks objects for one natural key (an NCC's name; a rule's target
  within its NCC) — a create was sent twice.
- **orphan**: a live Databricks object in an NCC this test made that no custom resource records
  as its ``status.id`` — a create nobody owns, or a delete that never happened.
- **unconverged**: a custom resource that is not ``Synced=True`` with ``Ready`` as the suite
  expects.
- **stuck finalizer**: a custom resource being deleted that still exists after the suite's wait.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.cluster.conftest import Env

SOAK = os.environ.get("NCC_SOAK", "") == "1"
"""``make soak``: the large sizes, and generous timeouts."""

KINDS = ("privateendpointrules", "networkconnectivityconfigs", "databricksaccounts")
RULE_KIND, NCC_KIND = KINDS[0], KINDS[1]


def sized(ci: int, soak: int) -> int:
    """The CI size or, under ``make soak``, the soak size."""
    return soak if SOAK else ci


def _natural_key(rule: dict[str, Any]) -> tuple[str, ...]:
    """What makes two Databricks rules the same one (the operator's natural key: the target)."""
    if rule.get("resource_id"):
        return ("azure", str(rule["resource_id"]).lower(), str(rule.get("group_id") or ""))
    if rule.get("endpoint_service") and not rule.get("resource_names"):
        return ("aws", str(rule["endpoint_service"]))
    return ("aws-s3", str(rule.get("endpoint_service") or ""), *sorted(rule["resource_names"]))


@dataclass
class Audit:
    """The cloud's truth against the cluster's, counted per defect class (see the module doc)."""

    duplicates: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    unconverged: list[str] = field(default_factory=list)
    stuck_finalizers: list[str] = field(default_factory=list)
    rules: int = 0
    """Live rules at Databricks in this test's NCCs."""

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.orphans or self.unconverged or self.stuck_finalizers)

    def figures(self) -> str:
        return (
            f"duplicates={len(self.duplicates)} orphans={len(self.orphans)} "
            f"unconverged={len(self.unconverged)} stuck_finalizers={len(self.stuck_finalizers)}"
        )

    def __str__(self) -> str:
        details = {
            "duplicates": self.duplicates,
            "orphans": self.orphans,
            "unconverged": self.unconverged,
            "stuck_finalizers": self.stuck_finalizers,
        }
        return self.figures() + "\n" + json.dumps({k: v for k, v in details.items() if v})


def objects(env: Env, kind: str) -> list[dict[str, Any]]:
    return list(json.loads(env.kubectl("get", kind, "-o", "json"))["items"])


def _condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    for cond in obj.get("status", {}).get("conditions", []):
        if cond.get("type") == type_:
            return dict(cond)
    return {}


def converged(obj: dict[str, Any], ready_reasons: Iterable[str] | None = None) -> bool:
    """Synced=True for its current generation, and Ready=True — or, with ``ready_reasons``,
    Ready with one of those reasons (a rule awaiting its owner's approval has converged)."""
    meta, status = obj["metadata"], obj.get("status", {})
    if status.get("observedGeneration") != meta.get("generation"):
        return False
    if _condition(obj, "Synced").get("status") != "True":
        return False
    ready = _condition(obj, "Ready")
    if ready_reasons is None:
        return ready.get("status") == "True"
    return ready.get("reason") in set(ready_reasons)


def audit(env: Env, *, ready_reasons: Iterable[str] | None = None) -> Audit:
    """Count every defect class now (the caller waits for convergence first)."""
    reasons = tuple(ready_reasons) if ready_reasons is not None else None
    found = Audit()
    state = env.emulator.admin.state()
    crs = {kind: objects(env, kind) for kind in KINDS[:2]}
    ncc_names = {o["metadata"]["name"] for o in crs[NCC_KIND]}
    ours_nccs = [n for n in state["nccs"] if n["name"] in ncc_names]
    by_name = Counter(n["name"] for n in ours_nccs)
    found.duplicates += [f"ncc {name} x{n}" for name, n in by_name.items() if n > 1]
    recorded = {str(o.get("status", {}).get("id", "")) for objs in crs.values() for o in objs}
    ncc_ids = {n["network_connectivity_config_id"] for n in ours_nccs}
    found.orphans += [f"ncc {i}" for i in sorted(ncc_ids - recorded)]
    live = [
        r
        for r in state["rules"]
        if r["network_connectivity_config_id"] in ncc_ids and not r.get("deactivated")
    ]
    found.rules = len(live)
    keys = Counter((r["network_connectivity_config_id"], _natural_key(r)) for r in live)
    found.duplicates += [f"rule {key} x{n}" for key, n in keys.items() if n > 1]
    found.orphans += [f"rule {r['rule_id']}" for r in live if r["rule_id"] not in recorded]
    found.unconverged += _lists_behind(crs[RULE_KIND], {r["rule_id"]: r for r in live})
    for kind, items in crs.items():
        for obj in items:
            name = f"{kind}/{obj['metadata']['name']}"
            if obj["metadata"].get("deletionTimestamp"):
                found.stuck_finalizers.append(name)
            elif not converged(obj, reasons if kind == RULE_KIND else None):
                found.unconverged.append(name)
    return found


def _lists_behind(rules: list[dict[str, Any]], live: dict[str, dict[str, Any]]) -> list[str]:
    """Rules whose Databricks domain or bucket names are not their spec's (an edit not applied)."""
    behind = []
    for obj in rules:
        held = live.get(str(obj.get("status", {}).get("id", "")))
        if held is None or obj["metadata"].get("deletionTimestamp"):
            continue
        target = obj["spec"].get("azure") or obj["spec"].get("aws") or {}
        for spec_key, wire_key in (
            ("domainNames", "domain_names"),
            ("resourceNames", "resource_names"),
        ):
            if spec_key in target and set(target[spec_key]) != set(held.get(wire_key) or []):
                behind.append(
                    f"{RULE_KIND}/{obj['metadata']['name']}: {wire_key} {held.get(wire_key)}"
                )
    return behind


def audited(
    env: Env,
    *,
    timeout: float,
    ready_reasons: Iterable[str] | None = None,
    settled: Callable[[], bool] = lambda: True,
) -> Audit:
    """Wait up to ``timeout`` for a clean audit (and ``settled``); return the last audit either
    way, so a failing suite prints what is still wrong."""
    deadline = time.monotonic() + timeout
    while True:
        found = audit(env, ready_reasons=ready_reasons)
        if (found.clean and settled()) or time.monotonic() > deadline:
            return found
        time.sleep(1.0)


BEARER = re.compile(r"Bearer\s+[A-Za-z0-9._~+/-]{8,}")


def leaks(env: Env, secrets: Iterable[str], *, metrics_url: str | None = None) -> list[str]:
    """Where any of ``secrets`` (or any bearer token) shows: the operator's log, the events,
    every custom resource's YAML, ``/metrics``. Empty when nothing leaked."""
    places = {
        "operator log": env.operator.logs(),
        "events": env.kubectl("get", "events", "-o", "yaml"),
        **{f"{kind} yaml": env.kubectl("get", kind, "-o", "yaml") for kind in KINDS},
    }
    if metrics_url is not None:
        places["/metrics"] = httpx.get(metrics_url, timeout=10).text
    hits = []
    for place, text in places.items():
        hits += [f"{place}: a planted secret" for s in secrets if s and s in text]
        hits += [f"{place}: {m.group(0)[:14]}…" for m in BEARER.finditer(text)]
    return hits


class Figures:
    """One figure line per suite, printed in pytest's terminal summary (and so in CI's log).

    ``add`` records a suite's whole line; ``count`` sums counters over a suite's tests, so a suite
    of several tests still prints one line (its totals)."""

    def __init__(self) -> None:
        self._lines: dict[str, str] = {}
        self._counts: dict[str, Counter[str]] = {}

    def add(self, suite: str, line: str) -> None:
        self._lines[suite] = line

    def count(self, suite: str, **counts: int) -> None:
        self._counts.setdefault(suite, Counter()).update(counts)

    @property
    def lines(self) -> list[str]:
        tallies = {
            suite: " ".join(f"{key}={n}" for key, n in counts.items())
            for suite, counts in self._counts.items()
        }
        both = {**tallies, **self._lines}
        return [f"{suite}{' (soak)' if SOAK else ''}: {line}" for suite, line in both.items()]
