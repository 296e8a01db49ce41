"""Reading account Secrets through the Kubernetes API (``resources/kube.py``), from the outside.

A small in-process HTTP server plays the kube-apiserver's ``GET /api/v1/.../secrets/{name}``; the
reader gets its address from the login callback exactly as it gets the operator's ``Connection``.
What is checked is what an account's status would show: a bad key elsewhere in the Secret does
not matter, a bad key that is used names the Secret and the key (never the value), and an
unreachable API is a classified problem, not an httpx traceback.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp.web
import pytest

from ncc_operator.reconcile import Problem
from ncc_operator.resources.kube import Connection, KubeSecrets

SECRET_PATH = "/api/v1/namespaces/team/secrets/creds"
NOT_UTF8 = b"\xff\xfe\x00binary"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass
class FakeApi:
    """Answers the Secret GET with whatever the test sets."""

    status: int = 200
    data: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0
    url: str = ""

    async def handle(self, request: aiohttp.web.Request) -> aiohttp.web.Response:
        if self.hang_seconds:
            await asyncio.sleep(self.hang_seconds)
        if self.status != 200:
            return aiohttp.web.json_response({"kind": "Status"}, status=self.status)
        return aiohttp.web.json_response({"kind": "Secret", "data": self.data})


@pytest.fixture
async def api() -> AsyncIterator[FakeApi]:
    fake = FakeApi()
    app = aiohttp.web.Application()
    app.add_routes([aiohttp.web.get(SECRET_PATH, fake.handle)])
    runner = aiohttp.web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


def login_to(server: str) -> Callable[[], Awaitable[Connection | None]]:
    async def login() -> Connection | None:
        return Connection(server=server, ssl=ssl.create_default_context(), headers={})

    return login


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_non_utf8_key_nobody_reads_does_not_matter(api: FakeApi) -> None:
    """Secrets often hold binary extras (keystores, certificates): only used keys are decoded."""
    api.data = {"client-id": b64(b"abc"), "keystore.p12": b64(NOT_UTF8)}
    secrets = KubeSecrets(login_to(api.url))
    try:
        data = await secrets.read("team", "creds")
        assert data["client-id"] == "abc"
        assert data.get("client-secret") is None
        assert "keystore.p12" in data
    finally:
        await secrets.close()


async def test_a_non_utf8_key_that_is_read_names_secret_and_key(api: FakeApi) -> None:
    api.data = {"client-secret": b64(NOT_UTF8)}
    secrets = KubeSecrets(login_to(api.url))
    try:
        data = await secrets.read("team", "creds")
        with pytest.raises(Problem) as raised:
            data.get("client-secret")
        message = str(raised.value)
        assert "Secret creds key 'client-secret' is not valid UTF-8" in message, message
        assert "binary" not in message  # the value never reaches a message
    finally:
        await secrets.close()


@dataclass(frozen=True)
class Outage:
    why: str
    status: int = 200
    hang_seconds: float = 0.0
    dead: bool = False


OUTAGES = [
    Outage("nothing listens at the API address (apiserver down)", dead=True),
    Outage("the API answers 503 (apiserver starting or overloaded)", status=503),
    Outage("the API accepts but never answers: the call is bounded", hang_seconds=2.0),
]


@pytest.mark.parametrize("outage", OUTAGES, ids=[o.why for o in OUTAGES])
async def test_an_unreachable_api_is_a_classified_problem(api: FakeApi, outage: Outage) -> None:
    api.status, api.hang_seconds = outage.status, outage.hang_seconds
    server = f"http://127.0.0.1:{dead_port()}" if outage.dead else api.url
    secrets = KubeSecrets(login_to(server), timeout=0.5)
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(Problem) as raised:
            await secrets.read("team", "creds")
        assert asyncio.get_running_loop().time() - started < 3.0
        message = str(raised.value)
        assert "Secret creds" in message, message
        assert "Kubernetes API" in message, message
        assert raised.value.retry_after is not None  # retried, never terminal
    finally:
        await secrets.close()
