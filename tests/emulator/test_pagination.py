"""List pages: opaque cursor tokens that never skip a live item when items go between pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .conftest import Api, assert_error

NCCS = "/network-connectivity-configs"


def _walk(api: Api, path: str, between: Callable[[list[str]], None] | None = None) -> list[str]:
    """Follow next_page_token to the end; ``between`` runs once, after the first page."""
    seen: list[str] = []
    token: str | None = None
    while True:
        page = api.ok("GET", path, params={"page_token": token} if token else None)
        seen += [
            item.get("rule_id") or item["network_connectivity_config_id"] for item in page["items"]
        ]
        token = page.get("next_page_token")
        if between is not None:
            between(list(seen))
            between = None
        if token is None:
            return seen


def test_list_paginates_with_opaque_tokens(emulator_factory: Any) -> None:
    api = Api(emulator_factory(page_size=2))
    made = [api.create_ncc(f"ncc-{i}")["network_connectivity_config_id"] for i in range(5)]
    tokens: list[str] = []
    token: str | None = None
    while True:
        page = api.ok("GET", NCCS, params={"page_token": token} if token else None)
        token = page.get("next_page_token")
        if token is None:
            break
        tokens.append(token)
    assert len(tokens) == 2
    assert not any(t in {"2", "4"} for t in tokens)  # opaque, not a bare offset
    assert _walk(api, NCCS) == made


def test_list_last_page_has_no_token(api: Api) -> None:
    api.create_ncc()
    assert set(api.ok("GET", NCCS)) == {"items"}


def test_bad_page_token_is_400(api: Api) -> None:
    response = api.call("GET", NCCS, params={"page_token": "!!!"})
    assert_error(response, 400, "INVALID_PARAMETER_VALUE", "page_token")


@pytest.mark.parametrize(
    ("victim", "reason"),
    [
        (0, "the first item of page 1 (an offset token would skip one live NCC)"),
        (1, "the last returned item, the cursor itself"),
    ],
)
def test_ncc_deleted_mid_listing_skips_nothing(
    emulator_factory: Any, victim: int, reason: str
) -> None:
    api = Api(emulator_factory(page_size=2))
    made = [api.create_ncc(f"ncc-{i}")["network_connectivity_config_id"] for i in range(5)]

    def delete_one(seen: list[str]) -> None:
        api.ok("DELETE", f"{NCCS}/{seen[victim]}")

    seen = _walk(api, NCCS, delete_one)
    assert seen == made  # page 1 as it was, then every later NCC exactly once


def test_rule_deleted_mid_listing_skips_nothing(emulator_factory: Any) -> None:
    api = Api(emulator_factory(page_size=2))
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    made = [
        api.create_rule(ncc_id, resource_id=f"/r/{i}", group_id="blob")["rule_id"] for i in range(5)
    ]

    def delete_first(seen: list[str]) -> None:
        api.ok("DELETE", f"{api.rules_path(ncc_id)}/{seen[0]}")  # PENDING: removed at once

    assert _walk(api, api.rules_path(ncc_id), delete_first) == made


def test_items_created_mid_listing_come_last(emulator_factory: Any) -> None:
    api = Api(emulator_factory(page_size=2))
    made = [api.create_ncc(f"ncc-{i}")["network_connectivity_config_id"] for i in range(3)]
    late: list[str] = []

    def create_one(_: list[str]) -> None:
        late.append(api.create_ncc("late")["network_connectivity_config_id"])

    assert _walk(api, NCCS, create_one) == made + late


def test_rule_list_paginates(emulator_factory: Any) -> None:
    api = Api(emulator_factory(page_size=2))
    ncc_id = api.create_ncc()["network_connectivity_config_id"]
    ids = [
        api.create_rule(ncc_id, resource_id=f"/r/{i}", group_id="blob")["rule_id"] for i in range(3)
    ]
    first = api.ok("GET", api.rules_path(ncc_id))
    second = api.ok("GET", api.rules_path(ncc_id), params={"page_token": first["next_page_token"]})
    assert "next_page_token" not in second
    assert [r["rule_id"] for r in first["items"] + second["items"]] == ids
