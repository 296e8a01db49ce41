"""The rule indexes parse a rule body once per event and hold one object between them."""

from __future__ import annotations

from typing import Any

import pytest

from ncc_operator.handlers import indexes
from ncc_operator.resources import world

STORAGE = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
    "Microsoft.Storage/storageAccounts/lake"
)


def rule_body(version: str, uid: str = "u1") -> dict[str, Any]:
    return {
        "apiVersion": "networking.ncc-operator.io/v1alpha1",
        "kind": "PrivateEndpointRule",
        "metadata": {"name": "blob", "namespace": "team", "uid": uid, "resourceVersion": version,
                     "generation": 1},
        "spec": {"nccRef": {"name": "prod"}, "azure": {"resourceId": STORAGE, "groupId": "blob"}},
    }  # fmt: skip


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = world.rule_entry

    def counting(body: Any) -> Any:
        seen.append(str(body["metadata"]["resourceVersion"]))
        return real(body)

    monkeypatch.setattr(indexes, "rule_entry", counting)
    monkeypatch.setattr(indexes, "_last_rule", None)
    return seen


async def test_both_rule_indexes_share_one_parse_per_event(parses: list[str]) -> None:
    body = rule_body("7")
    [by_ref] = (await indexes.dbx_rules(body=body)).values()  # type: ignore[arg-type]
    [by_ncc] = (await indexes.dbx_rules_by_ncc(body=body)).values()  # type: ignore[arg-type]
    assert by_ref is by_ncc, "one object held by both indexes"
    assert parses == ["7"]


@pytest.mark.parametrize(
    ("second", "why"),
    [
        (rule_body("8"), "a new version of the object is parsed again"),
        (rule_body("7", uid="u2"), "another object is parsed on its own"),
    ],
)
async def test_a_changed_object_is_parsed_again(
    parses: list[str], second: dict[str, Any], why: str
) -> None:
    await indexes.dbx_rules(body=rule_body("7"))  # type: ignore[arg-type]
    [entry] = (await indexes.dbx_rules_by_ncc(body=second)).values()  # type: ignore[arg-type]
    assert len(parses) == 2, why
    assert entry.uid == second["metadata"]["uid"]
