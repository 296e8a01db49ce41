"""A pass's status patch is a JSON merge patch (RFC 7386): what the new status lacks is sent as
null, so a map in status can lose a key. Before, an NCC's ``ruleCounts`` went from
``{PENDING: 1}`` to ``{PENDING: 1, ESTABLISHED: 1}`` once its only rule was approved.

Each case merges the patch the way the API server does (``merged``, which the driver also uses
for the status it believes it wrote) and checks that the result is exactly the wanted value.
"""

from __future__ import annotations

from typing import Any

import pytest

from ncc_operator.reconcile.outcome import _merge_diff, merged

CASES = [
    ({"PENDING": 1}, {"ESTABLISHED": 1}, "a state no rule is in any more is dropped"),
    (
        {"ruleCounts": {"CREATING": 2}, "region": "eastus2", "endpointId": "pe-1"},
        {"ruleCounts": {"ESTABLISHED": 2}, "region": "eastus2"},
        "nested: a field Databricks stopped returning goes, an unchanged one is not resent",
    ),
    ({"a": [1, 2]}, {"a": [2]}, "a list is replaced whole, as merge patch does"),
    (None, {"ESTABLISHED": 1}, "nothing before: the wanted value as it is"),
    ({"ESTABLISHED": 1}, "text", "a map replaced by a scalar"),
]


@pytest.mark.parametrize(("current", "wanted", "why"), CASES, ids=[c[2] for c in CASES])
def test_the_merged_status_is_exactly_the_wanted_one(current: Any, wanted: Any, why: str) -> None:
    assert merged(current, _merge_diff(current, wanted)) == wanted, why
