"""How ``ncc-operator run`` runs Kopf: alone (one replica), or behind a leader election.

With an :class:`Election`, the process first stands by: it serves ``/healthz`` (so the kubelet
keeps a standby alive) and ``/metrics`` with ``ncc_operator_leader 0``, watches nothing and
calls nothing but the Lease. Once it holds the Lease it starts Kopf exactly as a single replica
would — the handlers, caches and crash-safety are the same, because a new leader is just an
operator that starts — and renews the Lease beside it. A leader that loses the Lease exits at
once (client-go's controllers do the same): no write may follow the loss, and the restarted pod
comes back as a standby. On SIGTERM it stops Kopf, then releases the Lease so that a standby
takes over at its next poll (about a quarter of the lease duration) instead of after a whole one.

Kopf's peering stays off (``standalone=True``): see ``ncc_operator.leadership`` for why.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

import aiohttp.web
import kopf

from ncc_operator import kubelogin, metrics
from ncc_operator.leadership import Elector, LeadershipLost, Timings
from ncc_operator.resources.kube import KubeLeases, KubeSecrets
from ncc_operator.settings import Settings

from . import probes
from . import register as register_handlers

logger = logging.getLogger(__name__)
LOST_EXIT_CODE = 3
"""Exit status after a lost Lease (distinct from a crash's 1 in the pod's last state)."""


@dataclass(frozen=True)
class Election:
    """Where the Lease lives and how long it lasts; ``identity`` defaults to host + random."""

    namespace: str
    name: str
    lease_seconds: int = Timings.lease_seconds
    identity: str = ""

    def holder(self) -> str:
        # The pod name (the hostname in a pod) for people; the suffix keeps a restarted
        # process from mistaking its predecessor's tenure for its own.
        return self.identity or f"{socket.gethostname()}_{uuid.uuid4().hex[:10]}"


async def run(
    *,
    settings: Settings,
    namespaces: Sequence[str],
    liveness: str,
    grace: float | None,
    election: Election | None,
) -> None:
    """Run the operator with ``settings`` (read once, at start-up, by the caller)."""
    operator = functools.partial(
        kopf.operator,
        registry=register_handlers(kopf.OperatorRegistry(), settings),
        standalone=True,
        clusterwide=not namespaces,
        namespaces=list(namespaces),
        liveness_endpoint=liveness or None,
        # The grace reaches the start-up handler through Kopf's memo; None: no liveness check.
        memo=kopf.Memo({probes.GRACE_KEY: grace}),
    )
    if election is None:
        await operator()
        return
    timings = Timings(election.lease_seconds)
    kopf_settings = kopf.OperatorSettings()
    # Each Lease call is bounded well inside the renew deadline, so a hung API cannot stretch
    # a tenure past it.
    kube = KubeSecrets(lambda: kubelogin.connection(kopf_settings), timeout=max(1.0, timings.retry))
    leases = KubeLeases(kube, election.namespace, election.name)
    elector = Elector(leases, election.holder(), timings)
    metrics.serve(settings.metrics_port, leader=False)
    try:
        logger.info(
            "Leader election on Lease %s/%s as %s (lease %d s)",
            election.namespace,
            election.name,
            elector.identity,
            timings.lease_seconds,
        )
        if await _stand_by(elector, liveness, grace):
            metrics.set_leader(True)
            await _lead(elector, operator)
    finally:
        await kube.close()


async def _stand_by(elector: Elector, liveness: str, grace: float | None) -> bool:
    """Wait for the Lease; False when a signal stopped the wait (nothing to release)."""
    loop = asyncio.get_running_loop()
    waiting = asyncio.ensure_future(elector.acquire())
    stops = (signal.SIGINT, signal.SIGTERM)
    for sig in stops:
        loop.add_signal_handler(sig, waiting.cancel)
    try:
        async with _standby_health(elector, liveness, grace):
            await waiting
    except asyncio.CancelledError:
        logger.info("Stopped while standing by")
        return False
    finally:
        # Kopf installs its own handlers for these when it starts.
        for sig in stops:
            loop.remove_signal_handler(sig)
    return True


async def _lead(elector: Elector, operator: Callable[[], Awaitable[None]]) -> None:
    holding = asyncio.ensure_future(elector.hold())
    running = asyncio.ensure_future(operator())
    await asyncio.wait({holding, running}, return_when=asyncio.FIRST_COMPLETED)
    if holding.done():
        error = holding.exception()
        reason = str(error) if isinstance(error, LeadershipLost) else repr(error)
        logger.error(
            "Lost the leadership (%s): stopping at once so that only one replica acts; the "
            "pod restarts as a standby",
            reason,
        )
        metrics.set_leader(False)
        _exit_now(LOST_EXIT_CODE)
    holding.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await holding
    metrics.set_leader(False)
    await elector.release()
    running.result()


def _exit_now(code: int) -> None:
    # Not sys.exit: Kopf's tasks would get a graceful stop, and keep writing while they finish.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@contextlib.asynccontextmanager
async def _standby_health(
    elector: Elector, liveness: str, grace: float | None
) -> AsyncIterator[None]:
    """``/healthz`` while standing by: 200 while the Lease was read within ``grace`` seconds.

    The same endpoint Kopf serves once this replica leads (the port is free again by then), so
    one probe configuration covers both states.
    """
    if not liveness:
        yield
        return
    url = urlparse(liveness)
    started = time.monotonic()
    limit = grace if grace is not None else float("inf")

    async def healthz(_: aiohttp.web.Request) -> aiohttp.web.Response:
        last = elector.last_contact if elector.last_contact is not None else started
        if time.monotonic() - last > limit:
            return aiohttp.web.json_response(
                {"standby": True, "error": "the leader Lease could not be read"}, status=500
            )
        return aiohttp.web.json_response({"standby": True})

    app = aiohttp.web.Application()
    app.router.add_get(url.path or "/", healthz)
    runner = aiohttp.web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, url.hostname, url.port or 80, reuse_address=True)
    await site.start()
    try:
        yield
    finally:
        await runner.cleanup()
