"""The Account API handlers: NCCs, private endpoint rules, workspaces, network policies and
their workspace bindings, and the public
``ip-ranges.json``, registered at the templates of ``endpoints.ROUTES``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from . import endpoints
from .endpoints import Route
from .errors import invalid_parameter, json_response
from .httpcommon import emulator as _emu
from .httpcommon import read_body
from .validation import unwrap

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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


async def create_policy(request: web.Request) -> web.Response:
    policies = _emu(request).network_policies
    body = unwrap(await read_body(request), "network_policy")
    return json_response(policies.view(policies.create(body)))


async def list_policies(request: web.Request) -> web.Response:
    return json_response(_emu(request).network_policies.list(request.query.get("page_token")))


async def get_policy(request: web.Request) -> web.Response:
    policies = _emu(request).network_policies
    return json_response(policies.view(policies.get(request.match_info["network_policy_id"])))


async def update_policy(request: web.Request) -> web.Response:
    policies = _emu(request).network_policies
    body = unwrap(await read_body(request), "network_policy")
    policy = policies.update(request.match_info["network_policy_id"], body)
    return json_response(policies.view(policy))


async def delete_policy(request: web.Request) -> web.Response:
    _emu(request).network_policies.delete(request.match_info["network_policy_id"])
    return json_response({})


async def get_workspace_network(request: web.Request) -> web.Response:
    return json_response(_emu(request).network_policies.binding(_workspace_id(request)))


async def update_workspace_network(request: web.Request) -> web.Response:
    body = unwrap(await read_body(request), "workspace_network_option")
    return json_response(_emu(request).network_policies.bind(_workspace_id(request), body))


async def get_ip_ranges(request: web.Request) -> web.Response:
    served = _emu(request).ip_ranges
    if served.status != 200:
        return web.Response(status=served.status, text="unavailable\n")
    return json_response(served.document)


_HANDLERS: dict[Route, Handler] = {
    endpoints.CREATE_NCC: create_ncc,
    endpoints.LIST_NCCS: list_nccs,
    endpoints.GET_NCC: get_ncc,
    endpoints.PATCH_NCC: patch_ncc,
    endpoints.DELETE_NCC: delete_ncc,
    endpoints.CREATE_RULE: create_rule,
    endpoints.LIST_RULES: list_rules,
    endpoints.GET_RULE: get_rule,
    endpoints.PATCH_RULE: patch_rule,
    endpoints.DELETE_RULE: delete_rule,
    endpoints.LIST_WORKSPACES: list_workspaces,
    endpoints.GET_WORKSPACE: get_workspace,
    endpoints.PATCH_WORKSPACE: patch_workspace,
    endpoints.CREATE_POLICY: create_policy,
    endpoints.LIST_POLICIES: list_policies,
    endpoints.GET_POLICY: get_policy,
    endpoints.UPDATE_POLICY: update_policy,
    endpoints.DELETE_POLICY: delete_policy,
    endpoints.GET_WORKSPACE_NETWORK: get_workspace_network,
    endpoints.UPDATE_WORKSPACE_NETWORK: update_workspace_network,
    endpoints.IP_RANGES: get_ip_ranges,
}


def add_api_routes(app: web.Application) -> None:
    for route, handler in _HANDLERS.items():
        app.router.add_route(route.method, route.template, handler)
