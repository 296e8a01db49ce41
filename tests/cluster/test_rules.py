"""PrivateEndpointRule behaviour against a real apiserver, the emulator and the operator process.

Each test proves one promise of DESIGN §3 for rules: converge without duplicates (even across a
SIGKILL), connection states as Ready reasons, drift recreation, minimal PATCHes, explicit retry
of terminal rules, O(NCCs) observation, and events from the fixed vocabulary.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from ncc_operator.reconcile import EventReason
from tests.cluster.conftest import AZURE_STORAGE, Env
from tests.cluster.rules_support import (
    CREATE_RULE,
    DAY,
    DELETE_RULE,
    GET_NCC,
    GET_RULE,
    LIST_RULES,
    NCC_KIND,
    PATCH_RULE,
    RULE_KIND,
    active_rules,
    annotate_requested,
    count,
    events_of,
    oob_delete,
    ready,
    ready_ncc,
    wait_until,
    writes,
)

RESYNC = 6.0  # FAST_ENV in conftest
RETRY_HINT = "ncc-operator.io/reconcile-requested-at"


def _pending(env: Env, name: str) -> str:
    env.wait_reason(RULE_KIND, name, "AwaitingApproval")
    return env.rule_id(name)


def _established(env: Env, name: str) -> str:
    rule_id = _pending(env, name)
    env.emulator.admin.approve(rule_id)
    env.wait_reason(RULE_KIND, name, "Established")
    return rule_id


# -- 1. natural key + id persisted first: crash-safe create ---------------------------------------


def test_sigkill_between_create_post_and_status_write_leaves_exactly_one_rule(env: Env) -> None:
    """A crash after Databricks committed the POST but before the id reached status must not
    duplicate: after restart the rule is found by natural key (NCC + target) and adopted."""
    ready_ncc(env)
    admin = env.emulator.admin
    # The POST commits the rule at once but answers only 15 s later: the operator is stuck
    # between "Databricks created it" and "status.id written" when we kill it.
    admin.set_faults(slow_create_seconds=15)
    env.azure_rule("blob")
    wait_until(lambda: count(env, CREATE_RULE) == 1, "the create POST")
    assert len(active_rules(env)) == 1, "the POST must already have committed the rule"
    assert env.rule_id("blob") == "", "status.id must not be known yet"

    env.operator.stop(signal.SIGKILL)
    admin.clear_faults()
    env.operator.start()

    rule = env.wait_reason(RULE_KIND, "blob", "AwaitingApproval")
    active = active_rules(env)
    assert len(active) == 1, active
    assert rule["status"]["id"] == active[0]["rule_id"]
    assert count(env, CREATE_RULE) == 1, "the create must never be re-sent"
    assert events_of(env, "blob", "Adopted"), env.event_reasons("blob")
    # And it stays that way over a resync.
    time.sleep(RESYNC + 1)
    assert count(env, CREATE_RULE) == 1
    assert len(active_rules(env)) == 1


# -- 2. connection states → Ready reasons ---------------------------------------------------------


def test_creating_then_awaiting_approval_then_established(env: Env) -> None:
    """CREATING → Ready=False Creating; PENDING → AwaitingApproval naming who approves where;
    ESTABLISHED → Ready=True Established."""
    ready_ncc(env)
    env.emulator.admin.configure(creating_seconds=4)
    env.azure_rule("blob")
    creating = ready(env.wait_reason(RULE_KIND, "blob", "Creating", timeout=10))
    assert creating["status"] == "False"

    pending = ready(env.wait_reason(RULE_KIND, "blob", "AwaitingApproval"))
    assert pending["status"] == "False"
    resource_id = AZURE_STORAGE.format(name="blob")
    message = pending["message"]
    assert f"The owner of {resource_id} must approve" in message, message
    assert "Azure portal" in message, message
    assert "az network private-endpoint-connection approve" in message, message
    assert "14 days" in message, message

    env.emulator.admin.approve(env.rule_id("blob"))
    established = env.wait_reason(RULE_KIND, "blob", "Established")
    assert ready(established)["status"] == "True"
    assert established["status"]["atProvider"]["connectionState"] == "ESTABLISHED"
    assert count(env, CREATE_RULE) == 1
    # One event per transition; the rule it just created is never "adopted" by a second pass.
    assert sorted(env.event_reasons("blob")) == sorted(
        ["Created", "Creating", "AwaitingApproval", "Established"]
    ), env.event_reasons("blob")


def test_an_ncc_counts_its_rules_states_within_the_fast_interval_not_at_its_resync(
    env: Env,
) -> None:
    """``status.atProvider.ruleCounts`` of the NCC follows its rules' transitions: a rule's
    status change brings its NCC's next look forward to the fast interval (1 s here). The
    resync is ten minutes, so only that wake-up can update the counts within the test."""
    env.operator.stop()
    env.operator.env["NCC_OPERATOR_RESYNC_SECONDS"] = "600"
    env.operator.start()
    ready_ncc(env)

    def counts() -> dict[str, int]:
        at = env.get(NCC_KIND, "prod").get("status", {}).get("atProvider", {})
        return dict(at.get("ruleCounts", {}))

    env.azure_rule("blob")
    env.wait_reason(RULE_KIND, "blob", "AwaitingApproval")
    wait_until(lambda: counts() == {"PENDING": 1}, "the NCC to count one PENDING rule", timeout=15)
    env.emulator.admin.approve(env.rule_id("blob"))
    env.wait_reason(RULE_KIND, "blob", "Established")
    wait_until(
        lambda: counts() == {"ESTABLISHED": 1},
        "the NCC to count the rule ESTABLISHED and PENDING no more (resync: 10 minutes away)",
        timeout=15,
    )


def _reject(env: Env, name: str) -> None:
    env.emulator.admin.reject(_pending(env, name))


def _disconnect(env: Env, name: str) -> None:
    env.emulator.admin.disconnect(_established(env, name))


def _expire(env: Env, name: str) -> None:
    _pending(env, name)
    env.emulator.admin.advance_clock(15 * DAY)


def _fail_create(env: Env, name: str) -> None:
    """Registered before the rule exists: the create ends CREATE_FAILED (target not found)."""


TERMINAL: list[Any] = [
    pytest.param("Rejected", "REJECTED", _reject, id="rejected"),
    pytest.param("Disconnected", "DISCONNECTED", _disconnect, id="disconnected"),
    pytest.param("Expired", "EXPIRED", _expire, id="expired"),
    pytest.param("CreateFailed", "CREATE_FAILED", _fail_create, id="create-failed"),
]


@pytest.mark.parametrize(("reason", "state", "cause"), TERMINAL)
def test_terminal_state_is_reported_with_a_warning_and_not_retried(
    env: Env, reason: str, state: str, cause: Callable[[Env, str], None]
) -> None:
    """REJECTED / DISCONNECTED / EXPIRED / CREATE_FAILED → Ready=False with that reason, a
    Warning event with the remedy, and no retry loop: the create POST count stays 1 and nothing
    is deleted across several resyncs."""
    ready_ncc(env)
    if state == "CREATE_FAILED":
        env.emulator.admin.mark_missing(resource_id=AZURE_STORAGE.format(name="blob"))
    env.azure_rule("blob")
    cause(env, "blob")

    rule = env.wait_reason(RULE_KIND, "blob", reason)
    condition = ready(rule)
    assert condition["status"] == "False"
    assert RETRY_HINT in condition["message"], condition["message"]
    assert rule["status"]["atProvider"]["connectionState"] == state
    if state == "CREATE_FAILED":
        assert "could not be found" in rule["status"]["atProvider"]["errorMessage"]
    warnings = [e for e in events_of(env, "blob", reason) if e["type"] == "Warning"]
    assert len(warnings) == 1, env.events("blob")

    time.sleep(2 * RESYNC + 1)  # several resyncs (and fast polls) later …
    assert count(env, CREATE_RULE) == 1, "a terminal rule must not be re-created in a loop"
    assert count(env, DELETE_RULE) == 0
    assert ready(env.get(RULE_KIND, "blob"))["reason"] == reason
    assert len(events_of(env, "blob", reason)) == 1, "one event per transition, not per poll"


# -- 3. drift ------------------------------------------------------------------------------------


@pytest.mark.parametrize("approved", [True, False], ids=["deactivated", "deleted"])
def test_rule_removed_out_of_band_is_recreated(env: Env, approved: bool) -> None:
    """A rule deleted at Databricks outside the operator (ESTABLISHED: deactivated; PENDING:
    removed at once) is drift: the operator recreates it with DriftDetected + Recreated events."""
    ncc_id = ready_ncc(env)
    env.azure_rule("blob")
    old = _established(env, "blob") if approved else _pending(env, "blob")

    gone = oob_delete(env, ncc_id, old)
    assert gone.get("deactivated") is (True if approved else None)

    rule = env.wait_for(
        RULE_KIND,
        "blob",
        lambda o: o.get("status", {}).get("id") not in (None, "", old),
        what="a new rule id",
    )
    new = rule["status"]["id"]
    env.wait_reason(RULE_KIND, "blob", "AwaitingApproval")
    assert [r["rule_id"] for r in active_rules(env)] == [new]
    assert count(env, CREATE_RULE) == 2
    drift = events_of(env, "blob", "DriftDetected")
    assert len(drift) == 1, env.events("blob")
    assert drift[0]["type"] == "Warning", drift
    how = "deactivated" if approved else "deleted"
    assert f"Rule {old} was {how} outside the operator" in drift[0]["message"]
    assert len(events_of(env, "blob", "Recreated")) == 1, env.event_reasons("blob")


# -- 4. updates with update_mask -----------------------------------------------------------------


def test_changing_azure_domain_names_sends_one_patch_with_that_mask(env: Env) -> None:
    """A Private Link Service rule's domainNames change is one PATCH (update_mask=domain_names;
    the emulator refuses any other mask field, `enabled` in particular, on Azure); nothing is
    PATCHed again once in sync, and no PATCH is ever sent with an empty mask."""
    ready_ncc(env)
    env.pls_rule("pls", ["a.internal.example.com"])
    rule_id = _pending(env, "pls")
    time.sleep(1)
    assert count(env, PATCH_RULE) == 0, "a rule in sync is never PATCHed"

    env.pls_rule("pls", ["a.internal.example.com", "b.internal.example.com"])

    def patched() -> bool:
        at = [r for r in active_rules(env) if r["rule_id"] == rule_id]
        return bool(at) and sorted(at[0].get("domain_names", [])) == [
            "a.internal.example.com",
            "b.internal.example.com",
        ]

    wait_until(patched, "domain_names updated at Databricks")
    updated = events_of(env, "pls", "Updated")
    assert len(updated) == 1, env.events("pls")
    assert updated[0]["message"] == f"Updated domain_names of rule {rule_id}."
    env.wait_for(
        RULE_KIND,
        "pls",
        lambda o: o.get("status", {}).get("observedGeneration") == 2,
        what="observedGeneration 2",
    )
    time.sleep(RESYNC + 1)
    assert count(env, PATCH_RULE) == 1
    assert count(env, CREATE_RULE) == 1
    assert env.rule_id("pls") == rule_id


# -- 5. reconcile-requested-at replaces a terminal rule --------------------------------------------


@pytest.mark.parametrize(("reason", "cause"), [("Rejected", _reject), ("Expired", _expire)])
def test_requested_retry_replaces_a_terminal_rule(
    env: Env, reason: str, cause: Callable[[Env, str], None]
) -> None:
    """A REJECTED / EXPIRED rule stays as it is until ncc-operator.io/reconcile-requested-at
    changes; then the operator deletes the old rule and creates a new one."""
    ncc_id = ready_ncc(env)
    env.azure_rule("blob")
    cause(env, "blob")
    env.wait_reason(RULE_KIND, "blob", reason)
    old = env.rule_id("blob")

    time.sleep(RESYNC + 1)  # without the annotation nothing happens
    assert count(env, CREATE_RULE) == 1
    assert count(env, DELETE_RULE) == 0
    assert env.rule_id("blob") == old

    annotate_requested(env, "blob", "retry-1")
    rule = env.wait_for(
        RULE_KIND,
        "blob",
        lambda o: o.get("status", {}).get("id") not in (None, "", old),
        what="the replacement rule id",
    )
    new = rule["status"]["id"]
    env.wait_reason(RULE_KIND, "blob", "AwaitingApproval")
    assert count(env, DELETE_RULE) == 1
    assert count(env, CREATE_RULE) == 2
    assert [r["rule_id"] for r in active_rules(env)] == [new]
    old_at_databricks = [r for r in env.databricks_rules("prod") if r["rule_id"] == old]
    # REJECTED rules are deactivated (purged later); EXPIRED ones are removed at once.
    assert all(r.get("deactivated") for r in old_at_databricks), old_at_databricks
    assert env.ncc_id("prod") == ncc_id
    assert len(events_of(env, "blob", "Recreated")) == 1, env.event_reasons("blob")

    time.sleep(RESYNC + 1)  # the same annotation value does not replace it again
    assert count(env, CREATE_RULE) == 2
    assert env.rule_id("blob") == new


# -- 6. observation cost O(NCCs) -----------------------------------------------------------------


def test_observing_ready_rules_costs_ncc_reads_only(env: Env) -> None:
    """With one NCC and 6 Ready rules, steady state reads the NCC (which embeds its rules) and
    never a rule, and writes nothing; polling is fast while a rule is PENDING and back to the
    resync pace once it is ESTABLISHED."""
    ready_ncc(env)
    names = [f"sa{i}" for i in range(6)]
    for name in names:
        env.azure_rule(name)
    for name in names:
        env.emulator.admin.approve(_pending(env, name))
    for name in names:
        env.wait_reason(RULE_KIND, name, "Established")
    admin = env.emulator.admin

    admin.reset_counts()
    window = 2 * RESYNC + 1
    time.sleep(window)
    counts = admin.request_counts()
    ncc_reads = counts.get(GET_NCC, 0)
    assert ncc_reads >= 2, counts
    # O(NCCs): about one read per resync for the NCC (rules share it), not one per rule.
    assert ncc_reads <= 2 * (window / RESYNC) + 1, counts
    assert counts.get(GET_RULE, 0) == 0, counts
    assert counts.get(LIST_RULES, 0) == 0, counts
    assert writes(env) == {}, counts

    # A PENDING rule makes its reconciles poll fast (FAST_ENV: 1 s) …
    env.azure_rule("pending")
    pending_id = _pending(env, "pending")
    admin.reset_counts()
    time.sleep(5)
    fast_reads = admin.request_counts().get(GET_NCC, 0)
    assert fast_reads >= 3, f"{fast_reads} NCC reads in 5 s while a rule is PENDING"
    # … and once it is ESTABLISHED, the pace is back to the resync interval.
    admin.approve(pending_id)
    env.wait_reason(RULE_KIND, "pending", "Established")
    time.sleep(2)
    admin.reset_counts()
    time.sleep(RESYNC)
    calm = admin.request_counts()
    assert calm.get(GET_NCC, 0) <= 3, calm
    assert calm.get(GET_RULE, 0) == 0, calm
    assert writes(env) == {}, calm


# -- 7. events from the fixed vocabulary ---------------------------------------------------------


def test_every_transition_emits_an_event_from_the_vocabulary(env: Env) -> None:
    """Created → Creating → AwaitingApproval → Established → Rejected → (retry requested)
    DriftDetected + Recreated → … → Deleted: one event per transition, each reason from the
    fixed EventReason vocabulary, Warnings exactly where a person must act."""
    ready_ncc(env)
    env.emulator.admin.configure(creating_seconds=3)
    env.azure_rule("blob")
    env.wait_reason(RULE_KIND, "blob", "Creating", timeout=10)
    first = _established(env, "blob")
    env.emulator.admin.reject(first)
    env.wait_reason(RULE_KIND, "blob", "Rejected")
    annotate_requested(env, "blob", "again")
    env.wait_for(
        RULE_KIND,
        "blob",
        lambda o: o.get("status", {}).get("id") not in (None, "", first),
        what="the replacement",
    )
    env.wait_reason(RULE_KIND, "blob", "AwaitingApproval")

    def reasons() -> list[tuple[str, str]]:
        return sorted((e["reason"], e["type"]) for e in env.events("blob"))

    expected = sorted(
        [
            ("Created", "Normal"),
            ("Creating", "Normal"),
            ("AwaitingApproval", "Normal"),
            ("Established", "Normal"),
            ("Rejected", "Warning"),
            ("DriftDetected", "Warning"),
            ("Recreated", "Normal"),
            ("Creating", "Normal"),
            ("AwaitingApproval", "Normal"),
        ]
    )
    try:
        wait_until(lambda: reasons() == expected, "the events of every transition", timeout=10)
    except AssertionError:
        timeline = sorted((e.get("eventTime"), e["reason"]) for e in env.events("blob"))
        raise AssertionError(f"{reasons()} != {expected}; {timeline}") from None
    vocabulary = {str(r) for r in EventReason}
    assert {e["reason"] for e in env.events("blob")} <= vocabulary

    env.kubectl("delete", RULE_KIND, "blob", "--wait=false")
    env.wait_gone(RULE_KIND, "blob")
    assert active_rules(env) == []
    assert count(env, DELETE_RULE) == 2  # the replaced rule and the final one
