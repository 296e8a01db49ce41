"""The emulator object and its aiohttp application: request counting, rate limiting, fault
injection, authentication and error rendering wrapped around the routes.

Order of the checks for an API request (why: each later step assumes the earlier passed):
count → rate limit → injected faults → bearer token → admin → account id → handler → persist
→ slow-create delay.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from aiohttp import web

from . import persistence
from .admin import add_admin_routes
from .auth import AuthRegistry
from .auth_routes import add_auth_routes
from .clock import Clock
from .errors import ApiError, error_response, new_request_id, not_found
from .faults import FaultInjector, TokenBucket
from .ipranges import IpRangesDocument, add_ip_ranges_routes
from .routes import CREATE_ROUTES, EMULATOR, add_api_routes
from .rules import RuleService
from .settings import EmulatorConfig
from .store import Store

log = logging.getLogger("ncc_emulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Emulator:
    """One emulated Databricks account and everything around it."""

    def __init__(
        self,
        *,
        account_id: str,
        cloud: str,
        client_id: str,
        client_secret: str,
        config: EmulatorConfig | None = None,
        workspaces: Iterable[tuple[int, str]] = (),
        state_file: Path | None = None,
    ) -> None:
        if cloud not in ("aws", "azure"):
            raise ValueError(f"unsupported cloud {cloud!r}")
        self.account_id, self.cloud = account_id, cloud
        self._credentials = (client_id, client_secret)
        self._initial_config = config.to_json() if config else EmulatorConfig().to_json()
        self._initial_workspaces = list(workspaces)
        self.state_file = state_file
        self.faults = FaultInjector()
        self.counts: Counter[str] = Counter()
        self.reset()
        if state_file is not None:
            loaded = persistence.read(state_file)
            if loaded is not None:
                persistence.restore(self, loaded)
                log.info("restored state from %s", state_file)

    def reset(self) -> None:
        """Back to the start-up state (the state file, if any, is overwritten on next save)."""
        self.clock = Clock()
        self.config = EmulatorConfig()
        self.config.merge(self._initial_config)
        self.store = Store(self.account_id, self.cloud, self.clock, self.config)
        self.rules = RuleService(self.store)
        self.auth = AuthRegistry(self.account_id)
        self.auth.add_principal(*self._credentials, admin=True)
        for workspace_id, region in self._initial_workspaces:
            self.store.add_workspace(workspace_id, region)
        self.ip_ranges = IpRangesDocument()
        self.faults.clear()
        self.counts.clear()
        self._bucket: TokenBucket | None = None
        self._bucket_key: tuple[float | None, int | None] = (None, None)

    def save(self) -> None:
        if self.state_file is not None:
            persistence.write_atomic(self.state_file, persistence.snapshot(self))

    def rate_limited(self) -> int | None:
        """Retry-After seconds when the per-account token bucket is empty, else None."""
        key = (self.config.rate_limit_rps, self.config.rate_limit_burst)
        if key != self._bucket_key:
            self._bucket_key = key
            self._bucket = TokenBucket(key[0], key[1]) if key[0] else None
        return self._bucket.take() if self._bucket else None


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
        if key in CREATE_ROUTES and emu.faults.config.slow_create_seconds > 0:
            await asyncio.sleep(emu.faults.config.slow_create_seconds)
    return response


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(middlewares=[emulator_middleware])
    app[EMULATOR] = emu
    add_api_routes(app)
    add_auth_routes(app)
    add_admin_routes(app)
    add_ip_ranges_routes(app)
    return app
