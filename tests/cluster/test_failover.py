"""Two replicas behind a coordination.k8s.io Lease, and shards with disjoint namespaces.

Replicas are two ``ncc-operator run --leader-election`` processes on the same Lease, as the chart
runs them with ``replicas: 2``. What a user would check:

- exactly one acts: one Lease holder, ``ncc_operator_leader`` 1 on it and 0 on the other, the
  standby's ``/healthz`` answers 200 (the kubelet keeps it), and nothing in its log is about an
  object;
- SIGKILL the leader while it creates rules: the standby holds the Lease within 15 s, finishes
  the work, and Databricks received each create exactly once (the crash-safety of a restart is
  what makes a takeover safe: the new leader is an operator that starts);
- SIGTERM (a rolling update) hands over at the standby's next poll, not after a lease duration.

Shards are two instances with disjoint ``--namespace`` sets and their own Lease names: each one
reconciles its own namespace and never touches the other's objects.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.cluster.conftest import Env, Operator, free_port
from tests.cluster.rules_support import (
    CREATE_RULE,
    NCC_KIND,
    NCCS,
    RULE_KIND,
    count,
    ready_ncc,
    wait_until,
)

LEASE = "ncc-operator-test"
LEASE_SECONDS = 8
TAKEOVER_LIMIT_SECONDS = 15.0  # the bound from SIGKILL to a standby holding the Lease
IDENTITY = re.compile(r"Leader election on Lease \S+ as (\S+)")
CREATE_NCC = f"POST {NCCS}"


class Replica:
    """One operator process of a replicated installation, with its metrics and health ports."""

    def __init__(self, env: Env, log: Path, *, lease: str = LEASE) -> None:
        self.metrics_port, self.health_port = free_port(), free_port()
        self.operator = Operator(
            env.cluster,
            env.namespace,
            log,
            env={"NCC_OPERATOR_METRICS_PORT": str(self.metrics_port)},
            args=[
                "--leader-election",
                "--leader-election-namespace",
                env.namespace,
                "--leader-election-id",
                lease,
                "--lease-duration",
                str(LEASE_SECONDS),
                "--liveness",
                f"http://127.0.0.1:{self.health_port}/healthz",
            ],
        )
        self.operator.start()

    @property
    def identity(self) -> str:
        found = IDENTITY.search(self.operator.logs())
        return found.group(1) if found else ""

    def leader_gauge(self) -> float | None:
        try:
            text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text
        except httpx.HTTPError:
            return None
        found = re.search(r"^ncc_operator_leader (\S+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else None

    def health(self) -> int:
        try:
            return httpx.get(f"http://127.0.0.1:{self.health_port}/healthz", timeout=5).status_code
        except httpx.HTTPError:
            return 0


def lease(env: Env, name: str = LEASE) -> dict[str, object]:
    out = env.cluster.kubectl("-n", env.namespace, "get", "lease", name, "-o", "json", check=False)
    return dict(json.loads(out.stdout).get("spec", {})) if out.returncode == 0 else {}


def holder(env: Env, name: str = LEASE) -> str:
    return str(lease(env, name).get("holderIdentity") or "")


def rule(env: Env, name: str, resource: str) -> None:
    env.azure_rule(name, storage=resource)


def created(env: Env, names: list[str]) -> Callable[[], bool]:
    return lambda: all(env.rule_id(n) for n in names)


@pytest.fixture
def replicas(env: Env, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    env.operator.stop()  # the harness's standalone operator: this test runs its own replicas
    first = Replica(env, tmp_path / "replica-a.log")
    wait_until(lambda: bool(first.identity) and holder(env) == first.identity, "a leader")
    second = Replica(env, tmp_path / "replica-b.log")
    wait_until(lambda: bool(second.identity), "the second replica to start")
    env.operator = first.operator  # timeouts print the leader's log
    yield first, second
    first.operator.stop()
    second.operator.stop()


def test_one_replica_acts_and_a_standby_takes_over_a_killed_leader(
    env: Env, replicas: tuple[Replica, Replica]
) -> None:
    leader, standby = replicas
    ready_ncc(env)
    first_batch = ["blob-a", "blob-b", "blob-c"]
    for name in first_batch:
        rule(env, name, name.replace("-", ""))
    wait_until(created(env, first_batch), "the first rules to be created", timeout=45)

    # Exactly one acts.
    assert holder(env) == leader.identity != standby.identity
    wait_until(lambda: leader.leader_gauge() == 1.0, "the leader's gauge")
    assert standby.leader_gauge() == 0.0, "a standby says it is not the leader"
    assert standby.health() == 200, "a standby stays alive (the kubelet must not restart it)"
    standby_log = standby.operator.logs()
    assert "Standing by" in standby_log
    assert f"[{env.namespace}/" not in standby_log, "the standby acted on an object"

    # SIGKILL the leader while it is creating three more rules.
    second_batch = ["blob-d", "blob-e", "blob-f"]
    for name in second_batch:
        rule(env, name, name.replace("-", ""))
    wait_until(lambda: count(env, CREATE_RULE) >= 4, "the leader to start the second batch")
    killed_at = time.monotonic()
    leader.operator.stop(signal.SIGKILL)
    wait_until(
        lambda: holder(env) == standby.identity,
        "the standby to take the Lease",
        timeout=TAKEOVER_LIMIT_SECONDS + 5,
    )
    takeover = time.monotonic() - killed_at
    print(f"takeover after SIGKILL: {takeover:.1f} s")  # noqa: T201 - the note's number
    assert takeover < TAKEOVER_LIMIT_SECONDS

    env.operator = standby.operator
    # A create cut off by the kill waits out the pending-create settle window (30 s).
    wait_until(created(env, second_batch), "the new leader to finish the work", timeout=90)
    wait_until(lambda: standby.leader_gauge() == 1.0, "the new leader's gauge")
    env.wait_reason(NCC_KIND, "prod", "Available")

    # No Databricks write was made twice across the switch.
    names = first_batch + second_batch
    assert count(env, CREATE_NCC) == 1
    assert count(env, CREATE_RULE) == len(names), "a rule was created twice"
    ids = {env.rule_id(n) for n in names}
    assert ids == {r["rule_id"] for r in env.databricks_rules("prod")}
    assert len(ids) == len(names)
    assert lease(env).get("leaseTransitions") == 1


def test_a_stopped_leader_hands_over_at_once(env: Env, replicas: tuple[Replica, Replica]) -> None:
    leader, standby = replicas
    stopped_at = time.monotonic()
    leader.operator.stop(signal.SIGTERM)  # a rolling update: the old pod gets SIGTERM
    assert "Released the leader Lease" in leader.operator.logs()
    wait_until(lambda: holder(env) == standby.identity, "the standby to take the Lease")
    handover = time.monotonic() - stopped_at
    print(f"handover after SIGTERM: {handover:.1f} s")  # noqa: T201 - the note's number
    assert handover < LEASE_SECONDS, "the standby waited for the Lease to expire"
    env.operator = standby.operator
    ready_ncc(env)  # and the new leader acts


def shard_args(namespace: str, lease: str) -> list[str]:
    return [
        "--leader-election",
        "--leader-election-namespace",
        namespace,
        "--leader-election-id",
        lease,
    ]


def test_shards_with_disjoint_namespaces_never_touch_each_others_objects(
    env: Env, tmp_path: Path
) -> None:
    other = f"{env.namespace}-shard-b"
    env.cluster.kubectl("create", "namespace", other)
    # The harness's operator becomes shard A (its namespace only), on its own Lease.
    env.operator.stop()
    env.operator.args = shard_args(env.namespace, "shard-a")
    env.operator.start()
    shard_b = Operator(
        env.cluster,
        other,
        tmp_path / "shard-b.log",
        args=shard_args(other, "shard-b"),
    )
    shard_b.start()
    try:
        ready_ncc(env)
        env.azure_rule("blob-a", storage="sharda")
        # Shard B's tenant: its own account, NCC and rule in its own namespace.
        b = Env(env.cluster, other, env.emulator, shard_b)
        b.account()
        b.wait_reason("databricksaccounts", "main", "Available")
        b.ncc("prod-b")
        b.wait_reason(NCC_KIND, "prod-b", "Available")
        b.azure_rule("blob-b", ncc="prod-b", storage="shardb")
        wait_until(lambda: bool(env.rule_id("blob-a") and b.rule_id("blob-b")), "both rules")
        a_log, b_log = env.operator.logs(), shard_b.logs()
        assert f"[{env.namespace}/" in a_log
        assert f"[{other}/" not in a_log, "shard A acted on shard B's objects"
        assert f"[{other}/" in b_log
        assert f"[{env.namespace}/" not in b_log, "shard B acted on shard A's objects"
        assert holder(env, "shard-a"), "each shard leads its own Lease"
        assert holder(b, "shard-b"), "each shard leads its own Lease"
        assert b.get(RULE_KIND, "blob-b")["status"]["id"] != env.rule_id("blob-a")
    finally:
        shard_b.stop()
        env.cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)
