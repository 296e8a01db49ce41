"""A pass reads its body once: the adapters hand the driver the entry the index already built.

Kopf runs the indexers before the handlers of the same event, so the entry an index holds was
built from the very body the handler gets. The adapter reuses it only when it is that body —
same object, same version, same status — and parses afresh otherwise.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import pytest

from ncc_operator.models import PrivateEndpointRuleResource
from ncc_operator.resources.adapters import RuleAdapter
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import Ref, RuleEntry, rule_entry

STORAGE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
    "Microsoft.Storage/storageAccounts/lake"
)


def _rule(**meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.ncc-operator.io/v1alpha1",
        "kind": "PrivateEndpointRule",
        "metadata": {
            "name": "blob",
            "namespace": "team",
            "uid": "uid-1",
            "generation": 1,
            "resourceVersion": "41",
            "creationTimestamp": "2026-12-01T03:00:00Z",
            **meta,
        },
        "spec": {
            "nccRef": {"name": "prod"},
            "azure": {"resourceId": STORAGE, "groupId": "blob"},
        },
        "status": {"id": "rule-1", "observedGeneration": 1},
    }


def _runtime(indexed: RuleEntry | None) -> Runtime:
    world = SimpleNamespace(rule=lambda ref: indexed if ref == Ref("team", "blob") else None)
    return cast(Runtime, SimpleNamespace(world=world))


def _other_status(body: dict[str, Any]) -> dict[str, Any]:
    # What the driver lays over a body whose status predates its last patch.
    changed = copy.deepcopy(body)
    changed["status"]["id"] = "rule-2"
    return changed


@dataclass(frozen=True)
class Case:
    name: str
    indexed_from: dict[str, Any] | None
    passed: dict[str, Any]
    reused: bool
    why: str


INDEXED = _rule()
CASES = [
    Case("same-body", INDEXED, INDEXED, True, "the handler's body is the one the index parsed"),
    Case("equal-copy", INDEXED, copy.deepcopy(INDEXED), True, "equal content, same version"),
    Case("newer", INDEXED, _rule(resourceVersion="42"), False, "the index is behind the event"),
    Case("overlay", INDEXED, _other_status(INDEXED), False, "the driver's status overlay"),
    Case("recreated", INDEXED, _rule(uid="uid-2"), False, "same name, another object"),
    Case("nothing-indexed", None, INDEXED, False, "the model refused it, or a test body"),
    Case(
        "no-version",
        _rule(resourceVersion=""),
        _rule(resourceVersion=""),
        False,
        "without a version two bodies cannot be told apart",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_adapter_reuses_the_indexed_entry_only_for_its_own_body(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed = rule_entry(case.indexed_from) if case.indexed_from is not None else None
    parses: list[str] = []
    original = PrivateEndpointRuleResource.from_body.__func__  # type: ignore[attr-defined]

    def counting(cls: type[PrivateEndpointRuleResource], body: Any) -> Any:
        parses.append(body["metadata"]["name"])
        return original(cls, body)

    monkeypatch.setattr(PrivateEndpointRuleResource, "from_body", classmethod(counting))
    adapter = RuleAdapter()
    entry = adapter.parse(case.passed, _runtime(indexed))
    subject = adapter.subject(entry, forced=False)

    assert (entry is indexed) is case.reused, case.why
    assert len(parses) == (0 if case.reused else 1), case.why
    # Whichever entry the pass uses, it stands for the body the pass was given.
    assert subject.status == case.passed["status"], case.why
    assert entry.id == case.passed["status"]["id"], case.why
