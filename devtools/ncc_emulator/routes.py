"""The Account API routes: NCCs, private endpoint rules and workspaces.

Route templates are module constants because ``GET /_emulator/requests`` reports counts keyed by
them, and tests and benchmarks read those keys.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import invalid_parameter, json_response
from .validation import unwrap

if TYPE_CHECKING:
    from .server import Emulator

ACCOUNT = "/api/2.0/accounts/{account_id}"
NCCS = ACCOUNT + "/network-connectivity-configs"
NCC = NCCS + "/{network_connectivity_config_id}"
RULES = NCC + "/private-endpoint-rules"
RULE = RULES + "/{private_endpoint_rule_id}"
WORKSPACES = ACCOUNT + "/workspaces"
WORKSPACE = WORKSPACES + "/{workspace_id}"

# Create calls: the slow-create fault applies to exactly these.
CREATE_ROUTES = frozenset({f"POST {NCCS}", f"POST {RULES}"})

EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator")


async def read_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid_parameter(f"Malformed JSON request body: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid_parameter("Request body must be a JSON object.")
    return body


def _emu(request: web.Request) -> Emulator:
    return request.app[EMULATOR]


def _ids(request: web.Request) -> tuple[str, str]:
    info = request.match_info
    return info["network_connectivity_config_id"], info.get("private_endpoint_rule_id", "")


async def create_ncc(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = unwrap(await read_body(request), "network_connectivity_config")
    return json_response(emu.store.ncc_view(emu.store.create_ncc(body)))


async def get_ncc(request: web.Request) -> web.Response:
    emu = _emu(request)
    return json_response(emu.store.ncc_view(emu.store.ncc(_ids(request)[0])))


async def list_nccs(request: web.Request) -> web.Response:
    return json_response(_emu(request).store.list_nccs(request.query.get("page_token")))


async def patch_ncc(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = unwrap(await read_body(request), "network_connectivity_config")
    ncc = emu.store.patch_ncc(_ids(request)[0], request.query.get("update_mask"), body)
    return json_response(emu.store.ncc_view(ncc))


async def delete_ncc(request: web.Request) -> web.Response:
    _emu(request).store.delete_ncc(_ids(request)[0])
    return json_response({})


async def create_rule(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = unwrap(await read_body(request), "private_endpoint_rule")
    return json_response(emu.rules.view(emu.rules.create(_ids(request)[0], body)))


async def get_rule(request: web.Request) -> web.Response:
    emu = _emu(request)
    return json_response(emu.rules.view(emu.rules.get(*_ids(request))))


async def list_rules(request: web.Request) -> web.Response:
    emu = _emu(request)
    return json_response(emu.rules.list(_ids(request)[0], request.query.get("page_token")))


async def patch_rule(request: web.Request) -> web.Response:
    emu = _emu(request)
    body = unwrap(await read_body(request), "private_endpoint_rule")
    ncc_id, rule_id = _ids(request)
    rule = emu.rules.patch(ncc_id, rule_id, request.query.get("update_mask"), body)
    return json_response(emu.rules.view(rule))


async def delete_rule(request: web.Request) -> web.Response:
    emu = _emu(request)
    return json_response(emu.rules.view(emu.rules.delete(*_ids(request))))


def _workspace_id(request: web.Request) -> int:
    raw = request.match_info["workspace_id"]
    if not raw.isdigit():
        raise invalid_parameter(f"Invalid workspace id {raw!r}.")
    return int(raw)


async def list_workspaces(request: web.Request) -> web.Response:
    return json_response(_emu(request).store.list_workspaces())


async def get_workspace(request: web.Request) -> web.Response:
    store = _emu(request).store
    return json_response(store.workspace_view(store.workspace(_workspace_id(request))))


async def patch_workspace(request: web.Request) -> web.Response:
    store = _emu(request).store
    body = unwrap(await read_body(request), "customer_facing_workspace")
    ws = store.patch_workspace(_workspace_id(request), request.query.get("update_mask"), body)
    return json_response(store.workspace_view(ws))


def add_api_routes(app: web.Application) -> None:
    app.router.add_post(NCCS, create_ncc)
    app.router.add_get(NCCS, list_nccs)
    app.router.add_get(NCC, get_ncc)
    app.router.add_patch(NCC, patch_ncc)
    app.router.add_delete(NCC, delete_ncc)
    app.router.add_post(RULES, create_rule)
    app.router.add_get(RULES, list_rules)
    app.router.add_get(RULE, get_rule)
    app.router.add_patch(RULE, patch_rule)
    app.router.add_delete(RULE, delete_rule)
    app.router.add_get(WORKSPACES, list_workspaces)
    app.router.add_get(WORKSPACE, get_workspace)
    app.router.add_patch(WORKSPACE, patch_workspace)
