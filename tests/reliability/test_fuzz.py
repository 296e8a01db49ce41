"""Fuzz: generated PrivateEndpointRule specs through the real apiserver, the operator running.

For each cloud in turn (an Azure world, then an AWS one, in the test's namespace), with an
Available account and NCC: ``sized(ci=40, soak=400)`` specs in all (half per cloud) — valid
targets in realistic formats, specs admission must refuse, and specs it admits that the operator
must report (``strategies.py``) — are applied with ``kubectl apply``. Then every admitted object
must settle with a reason, as its case says; the operator must be alive, without a traceback,
and idle (no Databricks write, few reads, in a quiet window); deleting everything must leave no
finalizer, no rule at Databricks, and no leaked secret.

Why ``@given`` over one case with ``max_examples`` and a list the examples append to (not
``strategy.example()``, not one ``@given`` drawing the whole list): hypothesis then chooses the
cases with its own search (the first one is the simplest, the rest spread over every branch),
``@seed`` makes the run reproducible (the seed is printed; ``NCC_FUZZ_SEED`` picks another), and
as nothing fails inside the examples (they only apply and record), hypothesis never shrinks,
which would re-apply objects to a live cluster. A whole-list draw in a single example would be
the all-simplest list (hypothesis tries the minimal example first). The verdicts are judged
after the loop, against the cluster, with the failing case named in the message.

Found by this suite (fixed): a bucket-only S3 spec (``aws.resourceNames`` without
``endpointService``) next to an explicit S3 spec on the same NCC was not reported as Conflict:
its natural key lacked the regional S3 service Databricks fills in, so after "already exists" it
never found the rule and re-sent the create on every retry (``targets.in_region`` now gives it
the NCC's regional service).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

from ncc_emulator import endpoints
from ncc_operator.models.rule import PrivateEndpointRuleSpec
from tests.cluster.conftest import GROUP, VERSION
from tests.reliability import strategies
from tests.reliability.conftest import Suite, SuiteFactory
from tests.reliability.strategies import REFUSED, SYNCED, Case
from tests.reliability.support import (
    NCC_KIND,
    RULE_KIND,
    Figures,
    audited,
    leaks,
    objects,
    sized,
)

SEED = int(os.environ.get("NCC_FUZZ_SEED", "20260613"))
SPECS = sized(ci=40, soak=400)
WORLDS = {"azure": [(1111, "eastus2"), (2222, "eastus2")], "aws": [(1111, "us-east-1")]}
REGIONS = {"azure": "eastus2", "aws": "us-east-1"}
SETTLE = sized(ci=30, soak=300)
IDLE = 5.0
READS_PER_OBJECT = 0.5
"""Reads in the idle window beyond the fixed base, per admitted object: a rule re-read by
itself each second would make ~5 over the window; shared snapshots make far fewer."""
READS_BASE = 20
"""The account resync (every 2 s here) and the NCC's snapshot (every fast interval while any
rule is transitional) read whatever the number of rules."""


@dataclass
class Applied:
    name: str
    case: Case
    spec: Any
    """The spec applied: the case's, with its unique tag filled in."""
    admitted: bool
    output: str
    model_ok: bool


def _model_ok(spec: Any) -> bool:
    try:
        PrivateEndpointRuleSpec.model_validate(spec)
    except (ValueError, TypeError):
        return False
    return True


def _apply_generated(suite: Suite, cloud: str, count: int) -> list[Applied]:
    env = suite.env
    applied: list[Applied] = []

    @seed(SEED)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategies.cases(cloud))
    def apply_one(case: Case) -> None:
        name = f"fz-{cloud}-{len(applied):03d}"
        spec = json.loads(json.dumps(case.spec).replace(strategies.LONE, f"{len(applied):017x}"))
        manifest = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "PrivateEndpointRule",
            "metadata": {"name": name},
            "spec": spec,
        }
        proc = env.cluster.kubectl(
            "-n", env.namespace, "apply", "-f", "-", input=json.dumps(manifest), check=False
        )
        output = (proc.stdout + proc.stderr).strip()
        applied.append(Applied(name, case, spec, proc.returncode == 0, output, _model_ok(spec)))

    apply_one()
    return applied


def _synced(obj: dict[str, Any]) -> dict[str, Any]:
    for cond in obj.get("status", {}).get("conditions", []):
        if cond.get("type") == "Synced":
            return dict(cond)
    return {}


def _settled(obj: dict[str, Any], case: Case) -> bool:
    """Synced for its generation with a reason and, when False, a message; as the case says."""
    synced = _synced(obj)
    if not obj or obj.get("status", {}).get("observedGeneration") != obj["metadata"].get(
        "generation"
    ):
        return False
    if not synced.get("reason") or synced.get("status") not in ("True", "False"):
        return False
    if synced["status"] == "False" and not synced.get("message"):
        return False
    if case.expect == SYNCED:
        return bool(synced["status"] == "True" or synced["reason"] == "Conflict")
    return bool(synced["status"] == "False" and synced["reason"] == case.expect)


def _describe(item: Applied, obj: dict[str, Any] | None = None) -> str:
    spec = json.dumps(item.spec, ensure_ascii=True)[:300]
    status = json.dumps(_synced(obj or {}))[:400]
    return f"{item.name} ({item.case.why}; expect {item.case.expect}): spec={spec} synced={status}"


def _wait_settled(suite: Suite, admitted: list[Applied]) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + SETTLE
    while True:
        seen = {o["metadata"]["name"]: o for o in objects(suite.env, RULE_KIND)}
        pending = [a for a in admitted if not _settled(seen.get(a.name, {}), a.case)]
        if not pending or time.monotonic() > deadline:
            return seen
        time.sleep(1.0)


def _counts_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}


def _delete_all(suite: Suite, kind: str, timeout: float) -> list[str]:
    """Delete every object of ``kind``; the names still there after ``timeout`` (stuck)."""
    suite.env.kubectl("delete", kind, "--all", "--wait=false")
    deadline = time.monotonic() + timeout
    while True:
        left = [o["metadata"]["name"] for o in objects(suite.env, kind)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


@dataclass
class Tally:
    specs: int = 0
    refused: int = 0
    reported_invalid: int = 0
    converged: int = 0
    idle_writes: int = 0
    stuck: int = 0
    tracebacks: int = 0
    leaks: int = 0
    failures: list[str] = field(default_factory=list)


def _fuzz_world(suite: Suite, cloud: str, count: int, tally: Tally, digest: Any) -> None:
    env = suite.env
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    env.ncc(strategies.NCC, region=REGIONS[cloud])
    env.wait_reason(NCC_KIND, strategies.NCC, "Available")

    applied = _apply_generated(suite, cloud, count)
    admitted = [a for a in applied if a.admitted]
    for a in applied:
        digest.update(json.dumps(a.spec, sort_keys=True).encode())
    tally.specs += len(applied)
    tally.refused += len(applied) - len(admitted)

    # Admission: what must be refused is, with a message; what the operator reads, it can read.
    wrongly = [
        f"{a.name} ({a.case.why}): {a.output[:200]}" for a in admitted if a.case.expect == REFUSED
    ]
    assert not wrongly, "admitted although the CRD documents a refusal:\n" + "\n".join(wrongly)
    refused_valid = [
        f"{a.name} ({a.case.why}): {a.output[:300]}"
        for a in applied
        if not a.admitted and a.case.expect != REFUSED
    ]
    assert not refused_valid, "refused at admission:\n" + "\n".join(refused_valid)
    silent = [
        f"{a.name}: {a.output!r}"
        for a in applied
        if not a.admitted and not any(w in a.output.lower() for w in ("invalid", "error"))
    ]
    assert not silent, f"refused without an error message: {silent}"
    unreadable = [_describe(a) for a in admitted if not a.model_ok]
    assert not unreadable, "admitted, but the operator's model refuses:\n" + "\n".join(unreadable)

    # Every admitted object settles with a reason, as its case says.
    seen = _wait_settled(suite, admitted)
    unsettled = [
        _describe(a, seen.get(a.name))
        for a in admitted
        if not _settled(seen.get(a.name, {}), a.case)
    ]
    # Recorded, not asserted yet: the quiet window and the clean-up are checked either way.
    tally.failures += ["not settled as expected: " + u for u in unsettled]
    # One natural key, one holder: the others are in Conflict.
    by_key: dict[tuple[str, ...], list[Applied]] = {}
    for a in admitted:
        if a.case.expect == SYNCED and a.case.key is not None:
            by_key.setdefault(a.case.key, []).append(a)
    for key, group in by_key.items():
        holders = [a.name for a in group if _synced(seen[a.name]).get("status") == "True"]
        assert len(holders) == 1, (
            f"{key}: {len(holders)} Synced holders {holders} of {[a.name for a in group]}"
        )
    for a in admitted:
        if _synced(seen[a.name]).get("status") == "True":
            tally.converged += 1
        else:
            tally.reported_invalid += 1

    # Quiet: nothing written, few reads, the operator alive (idle() proves it made calls).
    before = env.emulator.admin.request_counts()
    env.idle(IDLE)
    delta = _counts_delta(before, env.emulator.admin.request_counts())
    writes = endpoints.writes(delta)
    reads = sum(n for k, n in delta.items() if k in endpoints.READS)
    tally.idle_writes += sum(writes.values())
    assert not writes, f"Databricks writes in a {IDLE:g} s idle window: {writes}"
    assert reads <= READS_BASE + READS_PER_OBJECT * len(admitted), (
        f"{reads} Databricks reads in {IDLE:g} s for {len(admitted)} objects: {delta}"
    )
    assert env.operator.process is not None
    assert env.operator.process.alive(), "the operator process died"
    assert "Traceback" not in env.operator.logs(), env.operator.logs()[-5000:]

    # Delete everything: nothing stuck, nothing left at Databricks, nothing leaked.
    stuck = _delete_all(suite, RULE_KIND, timeout=sized(ci=45, soak=300))
    tally.stuck += len(stuck)
    assert not stuck, f"stuck finalizers: {stuck}\n{env.operator.logs()[-3000:]}"
    found = audited(env, timeout=30)
    assert found.clean, str(found)
    assert found.rules == 0, f"{found.rules} live rules at Databricks after every rule was deleted"
    hits = leaks(env, [suite.canary], metrics_url=suite.metrics_url)
    tally.leaks += len(hits)
    assert hits == []
    tally.tracebacks += env.operator.logs().count("Traceback")
    assert "Traceback" not in env.operator.logs(), env.operator.logs()[-5000:]
    for kind in (NCC_KIND, "databricksaccounts"):
        left = _delete_all(suite, kind, timeout=45)
        tally.stuck += len(left)
        assert not left, f"stuck finalizers: {kind} {left}"
    env.operator.stop()


@pytest.fixture
def only_global_constants(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hypothesis also draws constants found in every local module imported so far, so the same
    seed gives other specs when other test files ran first in the process; with its fixed global
    constants only, a seed is one list of specs, whatever else the session ran. (An internal
    name: if it goes, setattr raises and this test says so instead of drifting silently.)"""
    monkeypatch.setattr(providers, "_get_local_constants", Constants)
    providers.CONSTANTS_CACHE.cache.clear()
    yield
    providers.CONSTANTS_CACHE.cache.clear()  # later tests get their local constants back


@pytest.mark.timeout(sized(ci=300, soak=3600))
@pytest.mark.usefixtures("only_global_constants")
def test_generated_specs_are_refused_reported_or_converged(
    suite_factory: SuiteFactory, figures: Figures
) -> None:
    print(f"fuzz seed={SEED}: NCC_FUZZ_SEED={SEED} reproduces this run")  # noqa: T201
    tally = Tally()
    digest = hashlib.sha256()
    for cloud, count in (("azure", SPECS // 2), ("aws", SPECS - SPECS // 2)):
        _fuzz_world(suite_factory(cloud, WORLDS[cloud]), cloud, count, tally, digest)
    # Same seed, same digest: the printed pair shows a rerun applied the very same specs.
    print(f"fuzz seed={SEED} specs sha256={digest.hexdigest()[:16]}")  # noqa: T201
    assert not tally.failures, f"seed={SEED}\n" + "\n".join(tally.failures)
    figures.add(
        "fuzz",
        f"specs={tally.specs} refused_at_admission={tally.refused} "
        f"reported_invalid={tally.reported_invalid} converged={tally.converged} "
        f"tracebacks={tally.tracebacks} idle_writes={tally.idle_writes} "
        f"stuck_finalizers={tally.stuck} leaks={tally.leaks} seed={SEED}",
    )
