"""Run an emulator in a background thread, for tests, benchmarks and the demo.

The emulator gets its own thread and event loop so that both async clients (on pytest-asyncio's
loop) and the blocking official SDK can call it from a test without deadlocking either loop.
``start_emulator`` returns a ``RunningEmulator`` description and a ``stop`` callable.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from .server import build_app
from .settings import EmulatorConfig
from .state import Emulator

DEMO_ACCOUNT_ID = "0d5b5a1e-7c55-4c8e-9d3a-5e1f00c0ffee"
DEMO_CLIENT_ID = "ncc-emulator-sp"


class EmulatorAdmin:
    """A blocking client for ``/_emulator/``; every method returns the decoded JSON answer."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.Client(base_url=f"{base_url}/_emulator", timeout=30)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    def add_workspace(
        self, workspace_id: int, region: str, workspace_status: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"workspace_id": workspace_id, "region": region}
        if workspace_status:
            body["workspace_status"] = workspace_status
        result: dict[str, Any] = self._call("POST", "/workspaces", body)
        return result

    def approve(self, rule_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/rules/{rule_id}/approve"))

    def reject(self, rule_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/rules/{rule_id}/reject"))

    def disconnect(self, rule_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/rules/{rule_id}/disconnect"))

    def advance_clock(self, seconds: float) -> int:
        return int(self._call("POST", "/clock/advance", {"seconds": seconds})["now_ms"])

    def configure(self, **cfg: Any) -> dict[str, Any]:
        return dict(self._call("PUT", "/config", cfg))

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        return dict(self._call("PUT", "/faults", faults))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def request_counts(self) -> dict[str, int]:
        return dict(self._call("GET", "/requests")["counts"])

    def reset_counts(self) -> None:
        self._call("DELETE", "/requests")

    def add_federation_policy(
        self,
        issuer: str,
        subject: str,
        jwks_json: dict[str, Any] | str,
        audiences: list[str] | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"issuer": issuer, "subject": subject, "jwks_json": jwks_json}
        if audiences:
            body["audiences"] = audiences
        if client_id:
            body["client_id"] = client_id
        return dict(self._call("POST", "/federation-policies", body))

    def add_principal(self, client_id: str, client_secret: str, admin: bool = False) -> None:
        body = {"client_id": client_id, "client_secret": client_secret, "admin": admin}
        self._call("POST", "/principals", body)

    def add_pat(self, token: str, admin: bool = True) -> None:
        self._call("POST", "/pats", {"token": token, "admin": admin})

    def mark_missing(
        self, resource_id: str | None = None, endpoint_service: str | None = None
    ) -> None:
        pairs = (("resource_id", resource_id), ("endpoint_service", endpoint_service))
        self._call("POST", "/missing-resources", {k: v for k, v in pairs if v})

    def serve_ip_ranges(self, document: Any = None, *, status: int | None = None) -> None:
        """Serve ``document`` (as given) and/or answer ``status`` at the ip-ranges.json path."""
        body: dict[str, Any] = {}
        if document is not None:
            body["document"] = document
        if status is not None:
            body["status"] = status
        self._call("PUT", "/ip-ranges", body)

    def restore_ip_ranges(self) -> None:
        self._call("DELETE", "/ip-ranges")

    def reset(self) -> None:
        self._call("POST", "/reset")

    def state(self) -> dict[str, Any]:
        return dict(self._call("GET", "/state"))

    def close(self) -> None:
        self._http.close()


@dataclass(frozen=True)
class RunningEmulator:
    base_url: str  # "http://127.0.0.1:PORT"
    account_id: str
    client_id: str
    client_secret: str
    cloud: str  # "azure" | "aws" | "gcp"
    admin: EmulatorAdmin


def _serve(emu: Emulator, host: str, port: int, ready: Future[tuple[Any, ...]]) -> None:
    """Thread body: start the site, publish (loop, runner, port), then run until stopped."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def setup() -> tuple[web.AppRunner, int]:
        runner = web.AppRunner(build_app(emu), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1]
        return runner, int(bound)

    try:
        runner, bound = loop.run_until_complete(setup())
    except Exception as exc:  # handed to the starting thread, which re-raises it
        ready.set_exception(exc)
        loop.close()
        return
    ready.set_result((loop, runner, bound))
    loop.run_forever()
    loop.run_until_complete(runner.cleanup())
    loop.close()


def start_emulator(
    cloud: str = "azure",
    *,
    account_id: str = DEMO_ACCOUNT_ID,
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str | None = None,
    workspaces: Iterable[tuple[int, str]] = (),
    config: dict[str, Any] | None = None,
    state_file: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> tuple[RunningEmulator, Callable[[], None]]:
    """Start an emulator on ``host:port`` (0 = a free port) and return it with its stop function."""
    secret = client_secret or secrets.token_urlsafe(24)
    cfg = EmulatorConfig()
    cfg.merge(config or {})
    emu = Emulator(
        account_id=account_id, cloud=cloud, client_id=client_id, client_secret=secret,
        config=cfg, workspaces=workspaces, state_file=state_file,
    )  # fmt: skip
    ready: Future[tuple[Any, ...]] = Future()
    thread = threading.Thread(target=_serve, args=(emu, host, port, ready), daemon=True)
    thread.start()
    loop, _runner, bound = ready.result(timeout=30)
    base_url = f"http://{host}:{bound}"
    admin = EmulatorAdmin(base_url)

    def stop() -> None:
        admin.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)

    running = RunningEmulator(base_url, account_id, client_id, secret, cloud, admin)
    return running, stop


class TestIssuer:
    """An OIDC issuer for tests and demos: an RSA key, its JWKS, and signed ID tokens.

    Stands in for a Kubernetes service-account token issuer when exercising workload identity
    federation (``file-oidc``) against the emulator.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, issuer: str = "https://issuer.test.local", kid: str = "test-key") -> None:
        self.issuer, self.kid = issuer, kid
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        public.update({"kid": self.kid, "alg": "RS256", "use": "sig"})
        return {"keys": [public]}

    def token(
        self,
        subject: str,
        audience: str,
        *,
        lifetime: float = 600,
        issuer: str | None = None,
        key: Any = None,
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer or self.issuer, "sub": subject, "aud": audience,
            "iat": now, "nbf": now - 5, "exp": now + int(lifetime),
        }  # fmt: skip
        return jwt.encode(claims, key or self._key, algorithm="RS256", headers={"kid": self.kid})
