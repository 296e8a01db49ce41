"""The unauthenticated admin API under ``/_emulator/``: play the cloud owner, move the clock,
configure behaviour and faults, register credentials, read request counters, serve another
ip-ranges document, reset, dump.

Other people's tests and benchmarks drive these exact shapes; docs/emulator.md documents them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .auth import FederationPolicy, parse_jwks
from .errors import ApiError, invalid_parameter, json_response
from .httpcommon import emulator as _emu
from .httpcommon import read_body
from .ipranges import IpRangesDocument
from .lifecycle import OWNER_ACTIONS
from .state import snapshot

PREFIX = "/_emulator"


def _field(body: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise invalid_parameter(f"'{key}' is required and must be {kind}.")
    return value


async def add_workspace(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    ws = emu.store.add_workspace(
        _field(body, "workspace_id", int),
        _field(body, "region", str),
        str(body.get("workspace_status", "RUNNING")),
    )
    return json_response(emu.store.workspace_view(ws))


async def rule_action(request: web.Request) -> web.Response:
    emu, action = _emu(request), request.match_info["action"]
    if action not in OWNER_ACTIONS:
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"Unknown action {action!r}.")
    rule = emu.rules.owner_action(request.match_info["rule_id"], action)
    return json_response(emu.rules.view(rule))


async def missing_resources(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    targets = {str(body[k]) for k in ("resource_id", "endpoint_service") if body.get(k)}
    if not targets:
        raise invalid_parameter("Give 'resource_id' or 'endpoint_service'.")
    emu.store.missing_targets |= targets
    return json_response({"missing": sorted(emu.store.missing_targets)})


async def advance_clock(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    seconds = _field(body, "seconds", (int, float))
    try:
        now = emu.clock.advance(float(seconds))
    except ValueError as exc:
        raise invalid_parameter(str(exc)) from exc
    return json_response({"now_ms": now})


async def get_clock(request: web.Request) -> web.Response:
    clock = _emu(request).clock
    return json_response({"now_ms": clock.now_ms(), "offset_ms": clock.offset_ms})


async def put_config(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    try:
        emu.config.merge(body)
    except ValueError as exc:
        raise invalid_parameter(str(exc)) from exc
    return json_response(emu.config.to_json())


async def get_config(request: web.Request) -> web.Response:
    return json_response(_emu(request).config.to_json())


async def put_faults(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    try:
        return json_response(emu.faults.configure(body).to_json())
    except (TypeError, ValueError) as exc:
        raise invalid_parameter(str(exc)) from exc


async def get_faults(request: web.Request) -> web.Response:
    return json_response(_emu(request).faults.config.to_json())


async def delete_faults(request: web.Request) -> web.Response:
    emu = _emu(request)
    emu.faults.clear()
    return json_response(emu.faults.config.to_json())


async def get_requests(request: web.Request) -> web.Response:
    return json_response({"counts": dict(_emu(request).counts)})


async def delete_requests(request: web.Request) -> web.Response:
    _emu(request).counts.clear()
    return json_response({"counts": {}})


async def add_policy(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    try:
        policy = FederationPolicy(
            issuer=_field(body, "issuer", str),
            subject=_field(body, "subject", str),
            jwks_json=parse_jwks(body.get("jwks_json")),
            audiences=list(body.get("audiences") or []),
            client_id=body.get("client_id") or None,
            admin=bool(body.get("admin", True)),
        )
    except ValueError as exc:
        raise invalid_parameter(str(exc)) from exc
    emu.auth.add_policy(policy)
    shown = {"issuer": policy.issuer, "subject": policy.subject, "audiences": policy.audiences}
    return json_response({**shown, "client_id": policy.client_id})


async def add_principal(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    client_id = _field(body, "client_id", str)
    emu.auth.add_principal(client_id, _field(body, "client_secret", str), bool(body.get("admin")))
    return json_response({"client_id": client_id, "admin": bool(body.get("admin"))})


async def add_pat(request: web.Request) -> web.Response:
    emu, body = _emu(request), await read_body(request)
    emu.auth.add_pat(_field(body, "token", str), bool(body.get("admin", True)))
    return json_response({"admin": bool(body.get("admin", True))})


async def reset(request: web.Request) -> web.Response:
    _emu(request).reset()
    return json_response({})


async def state(request: web.Request) -> web.Response:
    emu = _emu(request)
    emu.store.settle_all()
    return json_response(snapshot(emu))


async def put_ip_ranges(request: web.Request) -> web.Response:
    served, body = _emu(request).ip_ranges, await read_body(request)
    if "status" in body:
        status = body["status"]
        if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
            raise invalid_parameter("'status' must be an HTTP status (200-599).")
        served.status = status
    if "document" in body:
        served.document = body["document"]
    if not {"status", "document"} & body.keys():
        raise invalid_parameter("Give 'document' and/or 'status'.")
    return json_response({"status": served.status})


async def delete_ip_ranges(request: web.Request) -> web.Response:
    _emu(request).ip_ranges = IpRangesDocument()
    return json_response({"status": 200})


def add_admin_routes(app: web.Application) -> None:
    r = app.router
    r.add_post(f"{PREFIX}/workspaces", add_workspace)
    r.add_post(PREFIX + "/rules/{rule_id}/{action}", rule_action)
    r.add_post(f"{PREFIX}/missing-resources", missing_resources)
    r.add_post(f"{PREFIX}/clock/advance", advance_clock)
    r.add_get(f"{PREFIX}/clock", get_clock)
    r.add_put(f"{PREFIX}/config", put_config)
    r.add_get(f"{PREFIX}/config", get_config)
    r.add_put(f"{PREFIX}/faults", put_faults)
    r.add_get(f"{PREFIX}/faults", get_faults)
    r.add_delete(f"{PREFIX}/faults", delete_faults)
    r.add_get(f"{PREFIX}/requests", get_requests)
    r.add_delete(f"{PREFIX}/requests", delete_requests)
    r.add_post(f"{PREFIX}/federation-policies", add_policy)
    r.add_post(f"{PREFIX}/principals", add_principal)
    r.add_post(f"{PREFIX}/pats", add_pat)
    r.add_post(f"{PREFIX}/reset", reset)
    r.add_get(f"{PREFIX}/state", state)
    r.add_put(f"{PREFIX}/ip-ranges", put_ip_ranges)
    r.add_delete(f"{PREFIX}/ip-ranges", delete_ip_ranges)
