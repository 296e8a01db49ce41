"""Crash suite: SIGKILL the operator at random and at each dangerous instant of a write, with and
without a spec edit before it comes back, on every kind of Azure and AWS target; then audit at
the emulator (duplicates, orphans, unconverged, stuck finalizers — all 0) and grep for secrets.

The dangerous instants, each made certain rather than hoped for:

- **create committed, answer not received**: the emulator commits the POST and answers 30 s later
  (``slow_create_seconds``); the kill lands in between.
- **create answered, status not written**: the answer comes after 3 s, but the kube-apiserver is
  frozen (SIGSTOP) once the create committed, so the status write that would record the id
  cannot happen; the kill lands while it waits. The apiserver is thawed after the kill.
- **update committed, answer not received** and **delete committed, answer not received**: every
  write answers 30 s late (``slow_write_seconds``).

Each instant runs once per cloud with every target kind of that cloud; of each updatable kind one
rule is edited while the operator is down and one is not (Azure first-party targets have no
updatable field, so they are never edited). Random kills (CI 5, soak 50) land while a seeded
churn of creates, edits and deletes runs against a pool of rules.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from ncc_emulator import endpoints
from ncc_testenv.controlplane import ControlPlane
from tests.cluster.conftest import AZURE_PLS, GROUP, VERSION, Env
from tests.reliability.conftest import Suite
from tests.reliability.support import (
    NCC_KIND,
    RULE_KIND,
    SOAK,
    Audit,
    Figures,
    audited,
    leaks,
    sized,
)

# The cloud's suite is picked per case (request.getfixturevalue), which the cluster marker's
# fixture scan cannot see: marked here, so `make test-fast` leaves the suite out.
pytestmark = pytest.mark.cluster

LIVE_STATES = ("Established", "AwaitingApproval")
"""A rule has converged when Databricks holds it as the spec says: approval is its owner's."""
SETTLE = 240.0 if SOAK else 120.0
"""Seconds the operator has, after the last kill, to converge."""

STORAGE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
    "Microsoft.Storage/storageAccounts/{}"
)
VPCE = "com.amazonaws.vpce.us-east-1.vpce-svc-{:017x}"
S3 = "com.amazonaws.us-east-1.s3"


@dataclass(frozen=True)
class Target:
    """One rule of a suite: its name, its target before and after an edit (None: not edited)."""

    name: str
    cloud: str
    spec: str
    edited: str | None = None
    ncc: str = "prod"

    def manifest(self, *, edited: bool = False) -> str:
        body = self.edited if edited and self.edited is not None else self.spec
        return f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: {self.name}}}
spec:
  nccRef: {{name: {self.ncc}}}
  {self.cloud}: {body}
---"""


def azure_targets(tag: str) -> list[Target]:
    """Every Azure kind: a first-party resource (group id) and a Private Link Service (domains),
    the latter edited and unedited."""
    domains = "domainNames: [a.example.com]"
    more = "domainNames: [a.example.com, b.example.com]"
    return [
        Target(
            f"{tag}-blob",
            "azure",
            f'{{resourceId: "{STORAGE.format(tag + "blob")}", groupId: blob}}',
        ),
        Target(
            f"{tag}-pls-edit",
            "azure",
            f'{{resourceId: "{AZURE_PLS.format(name=tag + "e")}", {domains}}}',
            f'{{resourceId: "{AZURE_PLS.format(name=tag + "e")}", {more}}}',
        ),
        Target(
            f"{tag}-pls",
            "azure",
            f'{{resourceId: "{AZURE_PLS.format(name=tag + "k")}", {domains}}}',
        ),
    ]


def aws_targets(tag: str) -> list[Target]:
    """Every AWS kind: a customer endpoint service (domains) and S3 (bucket names), each edited
    and unedited. An S3 rule holds every bucket of its NCC (one per NCC), so the unedited one is
    in the second NCC."""
    seed = sum(map(ord, tag))
    svc = [VPCE.format(seed * 4 + i) for i in range(2)]
    return [
        Target(
            f"{tag}-svc-edit",
            "aws",
            f"{{endpointService: {svc[0]}, domainNames: [a.example.com]}}",
            f"{{endpointService: {svc[0]}, domainNames: [a.example.com, b.example.com]}}",
        ),
        Target(f"{tag}-svc", "aws", f"{{endpointService: {svc[1]}, domainNames: [a.example.com]}}"),
        Target(
            f"{tag}-s3-edit",
            "aws",
            f"{{endpointService: {S3}, resourceNames: [{tag}-lake-a]}}",
            f"{{endpointService: {S3}, resourceNames: [{tag}-lake-a, {tag}-lake-b]}}",
        ),
        Target(
            f"{tag}-s3",
            "aws",
            f"{{endpointService: {S3}, resourceNames: [{tag}-bucket]}}",
            ncc="other",
        ),
    ]


def ready_ncc(env: Env, region: str) -> None:
    """The account and the suite's two NCCs, Available."""
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    for name in ("prod", "other"):
        env.ncc(name, region=region)
    for name in ("prod", "other"):
        env.wait_reason(NCC_KIND, name, "Available")


def live_rules(env: Env) -> list[dict[str, object]]:
    return [r for r in env.emulator.admin.state()["rules"] if not r.get("deactivated")]


def wait_until(
    check: Callable[[], bool], what: str, timeout: float = 60.0, env: Env | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            shown = "" if env is None else f"\n{_conditions(env)}\n{env.operator.logs()[-3000:]}"
            raise AssertionError(f"timed out waiting for {what}{shown}")
        time.sleep(0.2)


def _conditions(env: Env) -> str:
    """Each rule's Synced and Ready, for a failure message."""
    lines = []
    for obj in json.loads(env.kubectl("get", RULE_KIND, "-o", "json"))["items"]:
        conds = {
            c["type"]: (c.get("reason"), c.get("message"))
            for c in obj.get("status", {}).get("conditions", [])
        }
        lines.append(f"{obj['metadata']['name']}: {conds}")
    return "\n".join(lines)


def apiserver_pid(env: Env) -> int:
    cluster = env.cluster
    assert isinstance(cluster, ControlPlane), "the crash suite freezes its own kube-apiserver"
    return cluster.children["kube-apiserver"].pid


@contextmanager
def frozen_apiserver(env: Env) -> Iterator[None]:
    """The kube-apiserver stopped (SIGSTOP) for the block: requests hang, nothing is refused."""
    pid = apiserver_pid(env)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def finish(
    suite: Suite, figures: Figures, *, kills: int, targeted: bool, gone: bool = False
) -> Audit:
    """Let the operator converge, then audit Databricks against the cluster and grep secrets."""
    env = suite.env
    if gone:
        wait_until(
            lambda: not env.kubectl("get", RULE_KIND, "-o", "name").strip(), "rules gone", SETTLE
        )
    found = audited(env, timeout=SETTLE, ready_reasons=LIVE_STATES)
    hits = leaks(env, [suite.canary], metrics_url=suite.metrics_url)
    counts = endpoints.writes(env.emulator.admin.request_counts())
    figures.count(
        "crash",
        random_kills=0 if targeted else kills,
        targeted_kills=kills if targeted else 0,
        creates=counts.get(endpoints.CREATE_RULE.key, 0),
        duplicates=len(found.duplicates),
        orphans=len(found.orphans),
        unconverged=len(found.unconverged),
        stuck_finalizers=len(found.stuck_finalizers),
        leaks=len(hits),
    )
    assert found.clean, f"{found}\noperator log tail:\n{env.operator.logs()[-4000:]}"
    assert not hits, hits
    return found


@dataclass(frozen=True)
class World:
    """One cloud's suite with its account and two NCCs Available, and its target kinds."""

    suite: Suite
    cloud: str
    targets_of: Callable[[str], list[Target]]

    @property
    def env(self) -> Env:
        return self.suite.env


CLOUDS = [
    pytest.param(("azure", "eastus2", azure_targets), id="azure"),
    pytest.param(("aws", "us-east-1", aws_targets), id="aws"),
]


@pytest.fixture(params=CLOUDS)
def world(request: pytest.FixtureRequest) -> World:
    cloud, region, targets_of = request.param
    suite: Suite = request.getfixturevalue(cloud)
    ready_ncc(suite.env, region)
    return World(suite, cloud, targets_of)


def _apply_all(env: Env, targets: list[Target], *, edited: bool = False) -> None:
    assert targets, "a suite step with nothing to apply tests nothing"
    env.apply("".join(t.manifest(edited=edited) for t in targets))


def _edit(env: Env, targets: list[Target]) -> None:
    _apply_all(env, [t for t in targets if t.edited is not None], edited=True)


@pytest.mark.timeout(400)
def test_killed_after_the_create_committed_before_its_answer(
    world: World, figures: Figures
) -> None:
    suite, env, targets_of = world.suite, world.env, world.targets_of
    targets = targets_of("c1")
    env.emulator.admin.set_faults(slow_create_seconds=30)
    _apply_all(env, targets)
    wait_until(lambda: len(live_rules(env)) == len(targets), "every create committed", env=env)
    env.operator.stop(signal.SIGKILL)
    env.emulator.admin.clear_faults()
    _edit(env, targets)
    env.operator.start()
    finish(suite, figures, kills=1, targeted=True)
    assert env.emulator.admin.request_counts().get(endpoints.CREATE_RULE.key) == len(targets)


@pytest.mark.timeout(400)
def test_killed_after_the_create_answered_before_its_status_write(
    world: World, figures: Figures
) -> None:
    suite, env, targets_of = world.suite, world.env, world.targets_of
    targets = targets_of("c2")
    answer_after = 3.0
    env.emulator.admin.set_faults(slow_create_seconds=answer_after)
    _apply_all(env, targets)
    wait_until(lambda: len(live_rules(env)) == len(targets), "every create committed", env=env)
    with frozen_apiserver(env):
        time.sleep(answer_after + 2.0)  # every answer is in; no status write can land
        env.operator.stop(signal.SIGKILL)
    env.emulator.admin.clear_faults()
    assert not any(env.get(RULE_KIND, t.name).get("status", {}).get("id") for t in targets), (
        "the kill landed before any id was recorded"
    )
    _edit(env, targets)
    env.operator.start()
    finish(suite, figures, kills=1, targeted=True)
    assert env.emulator.admin.request_counts().get(endpoints.CREATE_RULE.key) == len(targets)


def _established(env: Env, targets: list[Target]) -> None:
    _apply_all(env, targets)
    wait_until(
        lambda: all(env.get(RULE_KIND, t.name).get("status", {}).get("id") for t in targets),
        "every rule created",
    )
    audited(env, timeout=60, ready_reasons=LIVE_STATES)


@pytest.mark.timeout(400)
def test_killed_during_an_update(world: World, figures: Figures) -> None:
    """The edit's PATCH committed, its answer lost; a second edit (back to the first list) while
    the operator is down must win."""
    suite, env, targets_of = world.suite, world.env, world.targets_of
    targets = targets_of("u1")
    _established(env, targets)
    edited = [t for t in targets if t.edited is not None]
    env.emulator.admin.set_faults(slow_write_seconds=30)
    patch_key = endpoints.PATCH_RULE.key
    before = env.emulator.admin.request_counts().get(patch_key, 0)
    _edit(env, targets)
    wait_until(
        lambda: env.emulator.admin.request_counts().get(patch_key, 0) >= before + len(edited),
        "every update sent",
    )
    env.operator.stop(signal.SIGKILL)
    env.emulator.admin.clear_faults()
    # Half (rounded up) go back to their first list while the operator is down; the rest keep
    # the edit that committed.
    _apply_all(env, edited[: (len(edited) + 1) // 2])
    env.operator.start()
    finish(suite, figures, kills=1, targeted=True)


@pytest.mark.timeout(400)
def test_killed_during_a_delete(world: World, figures: Figures) -> None:
    """Every DELETE committed, its answer lost; some specs are edited while the operator is down
    (an edit of an object being deleted must not bring it back)."""
    suite, env, targets_of = world.suite, world.env, world.targets_of
    targets = targets_of("d1")
    _established(env, targets)
    env.emulator.admin.set_faults(slow_write_seconds=30)
    env.kubectl("delete", RULE_KIND, "--all", "--wait=false")
    wait_until(lambda: not live_rules(env), "every delete committed")
    env.operator.stop(signal.SIGKILL)
    env.emulator.admin.clear_faults()
    assert all(env.get(RULE_KIND, t.name) for t in targets), "the finalizers held them"
    _edit(env, targets)
    env.operator.start()
    finish(suite, figures, kills=1, targeted=True, gone=True)


class Churn:
    """Seeded creates, edits and deletes against a pool of rules, from a thread, until stopped."""

    def __init__(self, env: Env, pool: list[Target], seed: int) -> None:
        self.env, self.pool = env, pool
        self.rng = random.Random(seed)
        self.stopped = threading.Event()
        self.actions = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            target = self.rng.choice(self.pool)
            action = self.rng.choice(("apply", "edit", "delete"))
            if action == "delete":
                self.env.kubectl("delete", RULE_KIND, target.name, "--wait=false", check=False)
            else:
                manifest = target.manifest(edited=action == "edit")
                self.env.kubectl("apply", "-f", "-", input=manifest, check=False)
            self.actions += 1
            self.stopped.wait(self.rng.uniform(0.1, 0.6))

    def __enter__(self) -> Churn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)


@pytest.mark.timeout(1800 if SOAK else 400)
def test_random_kills_while_rules_are_created_edited_and_deleted(
    world: World, figures: Figures
) -> None:
    suite, env, targets_of = world.suite, world.env, world.targets_of
    pool = targets_of("r1")
    kills = sized(ci=5, soak=50) // len(CLOUDS) + 1
    rng = random.Random(f"kills-{world.cloud}")
    # Writes answer a little late, so a kill often lands while one is in flight.
    env.emulator.admin.set_faults(slow_write_seconds=0.5)
    with Churn(env, pool, seed=len(world.cloud)) as churn:
        for _ in range(kills):
            time.sleep(rng.uniform(1.0, 5.0))
            env.operator.stop(signal.SIGKILL)
            time.sleep(rng.uniform(0.2, 2.0))
            env.operator.start()
        time.sleep(2.0)
    env.emulator.admin.clear_faults()
    assert churn.actions > kills, "the churn ran through the kills"
    finish(suite, figures, kills=kills, targeted=False)
