"""Which handlers make Kopf put a finalizer on which kind (guards handlers/kinds.py's timer).

Kopf adds its finalizer to an object when any matching handler requires one: a mandatory delete
handler, or any timer (Kopf hard-codes that for timers). NCCs and rules need it (their deletion
deletes at Databricks); accounts must have none, so deleting one never waits on the operator.
"""

from __future__ import annotations

from dataclasses import dataclass

import kopf
import pytest

from ncc_operator import handlers
from ncc_operator.handlers import kinds
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
    ticks = [h for h in found if str(getattr(h, "id", "")).endswith("-tick")]
    assert len(ticks) == 1, "every kind is re-observed by exactly one timer"
    requiring = [h.id for h in found if getattr(h, "requires_finalizer", None)]  # type: ignore[attr-defined]
    assert bool(requiring) is kind.finalizer, requiring


def test_a_timer_without_finalizer_stops_once_its_object_left_the_index() -> None:
    """Kopf stops a timer whose ``when`` no longer matches; a deleted account leaves the index
    before Kopf processes its DELETED event."""
    (tick,) = [h for h in handlers_of(ACCOUNT_PLURAL) if str(h.id).endswith("-tick")]  # type: ignore[attr-defined]
    when = tick.when  # type: ignore[attr-defined]
    assert when(uid="a", **{kinds.LIVE_INDEX: {"a": [True]}}) is True
    assert when(uid="a", **{kinds.LIVE_INDEX: {}}) is False
