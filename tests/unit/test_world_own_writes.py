"""The world shows an account or NCC with the status this process wrote for it, until the index
catches up: the dependents its pass wakes must see what woke them.

Before, a rule woken by its NCC's pass (which had just recorded the NCC's Databricks id) read
the index, found no id yet (the write had not come back through the watch) and waited for its
own ReferenceNotReady retry: 5 s at the bench's pace before any rule of a new NCC was created.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from ncc_operator.resources.world import IndexedWorld, Ref, ncc_entry
from tests.models.bodies import NCC_BODY

REF = Ref("team-a", "ncc-eastus2")


def indexed_without_id() -> dict[str, Any]:
    body = copy.deepcopy(NCC_BODY)
    body["status"] = {"conditions": []}
    return body


def world_with(written: Mapping[str, Any] | None, index_status: dict[str, Any]) -> IndexedWorld:
    body = indexed_without_id()
    body["status"] = index_status
    entry = ncc_entry(body)
    world = IndexedWorld({}, {REF: [entry]}, {}, {})
    before: dict[str, Any] = {"conditions": []}

    def own(uid: str, status: Mapping[str, Any]) -> Mapping[str, Any] | None:
        # As Driver.written_status: only while the index still shows what the pass started from.
        return written if written is not None and dict(status) == before else None

    world.see_own_writes(own)
    return world


WRITTEN = {"conditions": [], "id": "9a1c4b8e-0000-4000-8000-000000000002"}


@pytest.mark.parametrize(
    ("written", "index_status", "expected_id", "why"),
    [
        (WRITTEN, {"conditions": []}, WRITTEN["id"], "written, not yet echoed: the written id"),
        (None, {"conditions": []}, None, "nothing written by this process: the index as it is"),
        (
            WRITTEN,
            {"conditions": [], "id": "from-the-cluster"},
            "from-the-cluster",
            "the index moved on past what was written: the index wins",
        ),
    ],
)
def test_an_ncc_is_seen_with_this_processs_own_write(
    written: Mapping[str, Any] | None,
    index_status: dict[str, Any],
    expected_id: str | None,
    why: str,
) -> None:
    found = world_with(written, index_status).ncc(REF)
    assert found is not None
    assert found.id == expected_id, why


def test_the_overlaid_entry_is_built_once_per_write() -> None:
    world = world_with(WRITTEN, {"conditions": []})
    assert world.ncc(REF) is world.ncc(REF), "many rules look up one NCC: parse it once"
