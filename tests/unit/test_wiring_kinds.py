"""Which handlers make Kopf put a finalizer on which kind, and that no kind has a Kopf timer.

Kopf adds its finalizer to an object when any matching handler requires one: a mandatory delete
handler, or any timer (Kopf hard-codes that for timers). NCCs and rules need it (their deletion
deletes at Databricks); accounts must have none, so deleting one never waits on the operator.
Re-observing is the scheduler's (handlers/ticker.py): a per-object Kopf timer would wake every
object every few seconds and hold a task per object.
"""

from __future__ import annotations

from dataclasses import dataclass

import kopf
import pytest

from ncc_operator import handlers
from ncc_operator.models import ACCOUNT_PLURAL, NCC_PLURAL, RULE_PLURAL
from ncc_operator.settings import Settings

REGISTRY = handlers.register(kopf.OperatorRegistry(), Settings())


@dataclass(frozen=True)
class Kind:
    plural: str
    finalizer: bool
    why: str


KINDS = [
    Kind(ACCOUNT_PLURAL, False, "owns nothing at Databricks: deletion never needs the operator"),
    Kind(NCC_PLURAL, True, "deleting it deletes the NCC at Databricks first"),
    Kind(RULE_PLURAL, True, "deleting it deletes the rule at Databricks first"),
]


def handlers_of(plural: str) -> list[object]:
    every = [*REGISTRY._spawning.get_all_handlers(), *REGISTRY._changing.get_all_handlers()]
    return [h for h in every if str(h.id).startswith(f"{plural}-")]  # ids: handlers/kinds.py


def test_importing_the_handlers_registers_nothing() -> None:
    """Registration happens at start-up with the settings read then (cli.py), never at import."""
    default = kopf.get_default_registry()
    ours = [
        h
        for registry in (default._activities, default._indexing, default._spawning)
        for h in registry.get_all_handlers()
        if str(h.id).startswith(("dbx_", "live_", f"{RULE_PLURAL}-", f"{NCC_PLURAL}-"))
    ]
    assert ours == []


@pytest.mark.parametrize("kind", KINDS, ids=[k.why for k in KINDS])
def test_finalizer_required_only_where_deletion_does_work(kind: Kind) -> None:
    found = handlers_of(kind.plural)
    requiring = [h.id for h in found if getattr(h, "requires_finalizer", None)]  # type: ignore[attr-defined]
    assert bool(requiring) is kind.finalizer, requiring


def test_no_kind_has_a_kopf_timer_or_daemon() -> None:
    spawning = [str(h.id) for h in REGISTRY._spawning.get_all_handlers()]
    assert spawning == [], "re-observing is the scheduler's, not a per-object timer's"
    changing = {str(h.id).split("-")[0] for h in REGISTRY._changing.get_all_handlers()}
    assert {ACCOUNT_PLURAL, NCC_PLURAL, RULE_PLURAL} <= changing, "each kind still has handlers"
