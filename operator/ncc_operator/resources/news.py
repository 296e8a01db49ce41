"""Hands a new NCC snapshot's news to the rules it concerns.

One GET of an NCC embeds all its rules (``cache.py``); the first pass that reads a new snapshot
wakes every sibling rule whose state there differs from its status, so each learns of its own
transition from whichever snapshot shows it first, without a Databricks call of its own.
"""

from __future__ import annotations

from ncc_operator.databricks import NetworkConnectivityConfiguration

from .rule_states import state_of
from .runtime import Runtime
from .world import Ref


def wake_changed_rules(
    runtime: Runtime, ncc_ref: Ref, ncc: NetworkConnectivityConfiguration, *, but: str = ""
) -> None:
    """Wake the rules of the NCC whose state in this snapshot differs from their status.

    A snapshot is shared: the first pass that reads a new one (a rule's or the NCC's) hands
    every changed sibling its news at once, so a rule turns Ready on the first snapshot after
    its transition instead of at its own next poll (which then read a snapshot up to one fast
    interval old: up to two fast intervals in all). Once per snapshot; no Databricks call."""
    if not runtime.observations.first_look(ncc):
        return
    rules = runtime.observations.rules_in(ncc)
    for entry in runtime.world.rules_of(ncc_ref):
        if not entry.id or entry.uid == but:
            continue
        found = rules.get(entry.id)
        if found is None:
            continue
        at = entry.resource.status.at_provider
        recorded = at.connection_state if at is not None else None
        if found.deactivated or str(state_of(found)) != str(recorded):
            runtime.wake(entry.uid)
