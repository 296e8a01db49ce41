"""Operator start-up and shutdown: Kopf settings (one place, a reason per setting), login, state.

The shared runtime (client pool, observations, schedule) lives in Kopf's memo; the metrics
endpoint starts here too. The operator's own settings arrive as an argument of
:func:`register`, read once by ``ncc-operator run`` at start-up (never at import).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from typing import Any

import kopf

from ncc_operator import kubelogin, metrics
from ncc_operator.models import FINALIZER
from ncc_operator.reconcile.driver import Driver
from ncc_operator.reconcile.schedule import Schedule
from ncc_operator.resources.accounts import AccountPool, PoolOptions
from ncc_operator.resources.ipranges import OutboundIpRanges
from ncc_operator.resources.kube import KubeSecrets
from ncc_operator.resources.runtime import Pace, Runtime
from ncc_operator.resources.world import IndexedWorld
from ncc_operator.settings import Settings

from . import persistence, probes
from .context import Kind
from .sinks import EventSink
from .ticker import Ticker

logger = logging.getLogger(__name__)


def register(registry: kopf.OperatorRegistry, config: Settings, kinds: Mapping[str, Kind]) -> None:
    """Start-up, cleanup and login handlers, configured with ``config``; the scheduler runs
    ``kinds`` (by Kind name)."""

    @kopf.on.startup(registry=registry)
    async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **kw: Any) -> None:
        await _configure(settings, memo, config, kinds, kw)

    @kopf.on.cleanup(registry=registry)
    async def close(memo: kopf.Memo, **_: Any) -> None:
        await _close(memo)

    @kopf.on.login(registry=registry)
    async def login(settings: kopf.OperatorSettings, **_: Any) -> kopf.AiohttpSession | None:
        """In-cluster service account first, else the kubeconfig (KUBECONFIG or ~/.kube/config)."""
        return await kubelogin.kopf_login(settings)


async def _configure(
    settings: kopf.OperatorSettings,
    memo: kopf.Memo,
    config: Settings,
    kinds: Mapping[str, Kind],
    indexes: Mapping[str, Any],
) -> None:
    # Our own finalizer and annotation prefix: objects carry nothing named after Kopf.
    settings.persistence.finalizer = FINALIZER
    # Bookkeeping in annotations under our own prefix, bounded in size (see persistence).
    persistence.configure(settings)
    # Events come only from the engine's fixed vocabulary, never from Kopf's handler logs.
    settings.posting.loggers = False
    # A watch that silently stalls would stop all reconciles: restart it every 10 minutes.
    settings.watching.server_timeout = 600
    settings.watching.client_timeout = 660
    # Kubernetes API retries: Kopf's default delays (1, 1, 2, 3, 5, 8, 13, 21 s) leave a watch
    # blind for up to 21 s after the apiserver is back (12 s measured after a 20 s restart in
    # tests/reliability/test_controlplane.py); capped at 5 s, about as long an outage is ridden
    # out (52 s of retries against 54 s) and the watch resumes within 5 s of the apiserver.
    settings.networking.error_backoffs = (1, 1, 2, 3, *(5,) * 9)
    # A request (a patch, a list) to an apiserver that accepted the connection while restarting
    # may never be answered: Kopf waits 5 minutes by default before retrying it, and the object
    # waits with it. Watches have their own timeouts (above).
    settings.networking.request_timeout = 30.0
    settings.networking.connect_timeout = 10.0
    # An object's Kopf worker holds its last watch event (the whole decoded body, managedFields
    # included: ~30 KiB per object) until it has been idle this long; 5 s by default, which in a
    # bulk apply keeps every object's body alive twice over.
    settings.queueing.idle_timeout = 1.0
    # Every handler's success would be a log line per object and change: warnings only.
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    secrets = KubeSecrets(lambda: kubelogin.connection(settings))
    pool = AccountPool(
        secrets,
        PoolOptions.from_settings(config, hook=metrics.record_request),
    )
    memo["secrets"] = secrets
    # Its own client: a re-login after a 401 on one must not close a request on the other.
    probes.start(memo, KubeSecrets(lambda: kubelogin.connection(settings), timeout=10.0))
    # Kopf hands start-up its indexes before they fill; the same live objects serve every
    # handler and the scheduler from then on.
    world = IndexedWorld(
        indexes["dbx_accounts"],
        indexes["dbx_nccs"],
        indexes["dbx_rules"],
        indexes["namespace_labels"],
        indexes["dbx_rules_by_ncc"],
        policies=indexes["dbx_policies"],
    )
    runtime = memo["runtime"] = Runtime(
        world=world,
        pool=pool,
        pace=Pace(
            resync_seconds=config.resync_seconds,
            fast_seconds=config.fast_seconds,
            account_resync_seconds=config.account_resync_seconds,
        ),
        # None unless configured; a URL the host policy refuses stops the start-up here.
        outbound_ranges=OutboundIpRanges.from_settings(config, kube=secrets),
    )
    driver = memo["driver"] = Driver(
        Schedule(resync_seconds=config.resync_seconds),
        sinks=EventSink,
        fast_seconds=config.fast_seconds,
    )
    world.see_own_writes(driver.written_status)
    runtime.wake = driver.schedule.now
    ticker = Ticker(kinds, driver, runtime, secrets)
    task = asyncio.create_task(ticker.run(), name="scheduler")
    task.add_done_callback(_scheduler_ended)
    memo["ticker"] = ticker, task
    # /metrics; a standalone operator (one replica) is its own leader.
    metrics.serve(config.metrics_port)


def _scheduler_ended(task: asyncio.Task[None]) -> None:
    """The scheduler runs until shutdown; if it ever ends otherwise, nothing would be
    re-observed again: stop the process (exit 3, as on a lost lease) so it is restarted."""
    if task.cancelled():
        return
    logger.critical("the scheduler stopped: %r; exiting so the operator restarts", task.exception())
    os._exit(3)


async def _close(memo: kopf.Memo) -> None:
    if "ticker" in memo:
        ticker, task = memo["ticker"]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await ticker.stop()
    await probes.stop(memo)
    runtime: Runtime = memo["runtime"]
    await runtime.pool.close()
    await memo["secrets"].close()
