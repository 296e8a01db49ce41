"""The emulator's aiohttp application: request counting, rate limiting, fault injection,
authentication and error rendering wrapped around the routes of ``routes``, ``auth_routes`` and
``admin``, over one :class:`~.state.Emulator`.

Order of the checks for an API request (why: each later step assumes the earlier passed):
count → rate limit → injected faults → bearer token → admin → account id → handler → persist
→ slow-create / slow-write delay. Token grants only wait ``token_latency_seconds`` first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from .admin import add_admin_routes
from .auth_routes import add_auth_routes
from .endpoints import CREATES, TOKENS, WRITES
from .errors import ApiError, error_response, new_request_id, not_found
from .httpcommon import EMULATOR
from .routes import add_api_routes
from .state import Emulator

log = logging.getLogger("ncc_emulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def route_key(request: web.Request) -> str | None:
    route = request.match_info.route
    resource = route.resource if route is not None else None
    return f"{request.method} {resource.canonical}" if resource is not None else None


async def _guard_api(emu: Emulator, request: web.Request, key: str) -> None:
    retry_after = emu.rate_limited()
    if retry_after is not None:
        raise _ThrottledError(retry_after)
    decision = emu.faults.decide(key)
    if decision.latency > 0:
        await asyncio.sleep(decision.latency)
    if decision.drop:
        raise _DroppedError
    if decision.throttle:
        raise _ThrottledError(emu.faults.config.retry_after)
    if decision.server_error:
        status = emu.faults.config.status_5xx
        code = "TEMPORARILY_UNAVAILABLE" if status == 503 else "INTERNAL_ERROR"
        raise ApiError(status, code, "fault injection: the service is unavailable.")
    emu.auth.require_admin(request.headers.get("Authorization"))
    if request.match_info.get("account_id") != emu.account_id:
        raise not_found(f"Account {request.match_info.get('account_id')} does not exist.")


class _DroppedError(Exception):
    """Injected fault: close the connection without answering."""


class _ThrottledError(ApiError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests. Please retry later.")
        self.retry_after = retry_after


@web.middleware
async def emulator_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    emu = request.app[EMULATOR]
    request_id = new_request_id()
    key = route_key(request)
    if key is not None and not request.path.startswith("/_emulator/"):
        emu.counts[key] += 1
    try:
        if key is not None and request.path.startswith("/api/"):
            await _guard_api(emu, request, key)
        elif key in TOKENS and emu.faults.config.token_latency_seconds > 0:
            await asyncio.sleep(emu.faults.config.token_latency_seconds)
        response = await handler(request)
    except _DroppedError:
        if request.transport is not None:
            request.transport.close()
        # Nothing can be written any more; aiohttp drops this response quietly.
        return web.Response(status=499)
    except _ThrottledError as err:
        return error_response(err, request_id, {"Retry-After": str(err.retry_after)})
    except ApiError as err:
        headers = {"Retry-After": "1"} if err.status == 503 else None
        return error_response(err, request_id, headers)
    except web.HTTPException as exc:
        code = "ENDPOINT_NOT_FOUND" if exc.status == 404 else "BAD_REQUEST"
        return error_response(ApiError(exc.status, code, exc.reason), request_id)
    except Exception:
        # An emulator bug must still look like a Databricks 500, never like a text/plain page.
        log.exception("unhandled error for %s %s", request.method, request.path)
        return error_response(ApiError(500, "INTERNAL_ERROR", "Internal error."), request_id)
    if request.method in MUTATING and response.status < 400 and key is not None:
        emu.save()
        await asyncio.sleep(_answer_delay(emu, key))
    return response


def _answer_delay(emu: Emulator, key: str) -> float:
    """Seconds a committed write waits before answering (0 without the slow faults)."""
    faults = emu.faults.config
    slow_create = faults.slow_create_seconds if key in CREATES else 0.0
    return max(slow_create, faults.slow_write_seconds if key in WRITES else 0.0)


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(middlewares=[emulator_middleware])
    app[EMULATOR] = emu
    add_api_routes(app)
    add_auth_routes(app)
    add_admin_routes(app)
    return app
