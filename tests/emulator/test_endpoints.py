"""The route table (``ncc_emulator.endpoints``) is what the server serves and counts, exactly.

Tests and the benchmark take their request-counter keys from the table, so the table must be the
server's own list: a route registered by hand beside it, or a table entry without a handler,
fails here.
"""

from __future__ import annotations

import pytest

from ncc_emulator import endpoints
from ncc_emulator.server import build_app
from ncc_emulator.state import Emulator


def _served() -> set[tuple[str, str]]:
    emu = Emulator(account_id="a", cloud="azure", client_id="c", client_secret="s")
    app = build_app(emu)
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"  # aiohttp adds HEAD to a GET
    }


def test_the_server_serves_exactly_the_table_outside_the_admin_api() -> None:
    outside_admin = {(m, t) for m, t in _served() if not t.startswith("/_emulator/")}
    assert outside_admin == {(r.method, r.template) for r in endpoints.ROUTES}


def test_names_and_keys_are_unique() -> None:
    assert len({r.name for r in endpoints.ROUTES}) == len(endpoints.ROUTES)
    assert len({r.key for r in endpoints.ROUTES}) == len(endpoints.ROUTES)


@pytest.mark.parametrize(
    ("route", "write", "read", "reason"),
    [
        (endpoints.CREATE_RULE, True, False, "a create changes the account"),
        (endpoints.DELETE_RULE, True, False, "a rule delete (deactivation) changes the account"),
        (endpoints.PATCH_WORKSPACE, True, False, "attaching an NCC changes the account"),
        (endpoints.GET_NCC, False, True, "an NCC read"),
        (endpoints.LIST_WORKSPACES, False, True, "a workspace list"),
        (endpoints.ACCOUNT_TOKEN, False, False, "a token grant is a POST but no Account API call"),
        (endpoints.IP_RANGES, False, False, "the public ip-ranges feed is not the Account API"),
    ],
)
def test_writes_and_reads(route: endpoints.Route, write: bool, read: bool, reason: str) -> None:
    counts = {route.key: 2}
    assert (endpoints.writes(counts) == counts, endpoints.reads(counts) == counts) == (
        write,
        read,
    ), reason


def test_path_fills_the_template() -> None:
    path = endpoints.DELETE_RULE.path(
        account_id="acc", network_connectivity_config_id="n1", private_endpoint_rule_id="r1"
    )
    assert path == "/api/2.0/accounts/acc/network-connectivity-configs/n1/private-endpoint-rules/r1"
