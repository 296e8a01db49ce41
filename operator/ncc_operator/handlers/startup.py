"""Operator start-up and shutdown: Kopf settings (one place, a reason per setting), login, state.

The shared runtime (client pool, observations, schedule) lives in Kopf's memo; the metrics
endpoint starts here too.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf
import prometheus_client

from ncc_operator import metrics
from ncc_operator.models import FINALIZER
from ncc_operator.reconcile.driver import Driver
from ncc_operator.reconcile.schedule import Schedule
from ncc_operator.resources.accounts import AccountPool, PoolOptions
from ncc_operator.resources.kube import KubeSecrets
from ncc_operator.resources.runtime import Pace, Runtime
from ncc_operator.resources.world import IndexedWorld
from ncc_operator.settings import Settings

SETTINGS = Settings.from_env()
STATE_PREFIX = "state.ncc-operator.io"
"""Prefix of the operator's bookkeeping annotations (handler progress, last-handled spec)."""
logger = logging.getLogger(__name__)


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    # Our own finalizer and annotation prefix: objects carry nothing named after Kopf.
    settings.persistence.finalizer = FINALIZER
    # Annotations, not status: our CRD status schema is structural and would prune `status.kopf`.
    # Kopf ignores every annotation under its storage prefix when diffing, so that prefix must not
    # be the user-facing `ncc-operator.io/` (paused, reconcile-requested-at would never trigger).
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=STATE_PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=STATE_PREFIX, key="last-handled-configuration"
    )
    # Events come only from the engine's fixed vocabulary, never from Kopf's handler logs.
    settings.posting.loggers = False
    # A watch that silently stalls would stop all reconciles: restart it every 10 minutes.
    settings.watching.server_timeout = 600
    settings.watching.client_timeout = 660
    # Timers tick often and are cheap; their success must not flood the logs.
    logging.getLogger("kopf.objects").setLevel(logging.WARNING)
    secrets = KubeSecrets(lambda: _login(settings))
    pool = AccountPool(
        secrets,
        PoolOptions(
            hook=metrics.record_request, azure_login_endpoint=SETTINGS.azure_login_endpoint
        ),
    )
    memo["secrets"] = secrets
    memo["runtime"] = Runtime(
        world=IndexedWorld({}, {}, {}, {}),
        pool=pool,
        pace=Pace(
            resync_seconds=SETTINGS.resync_seconds,
            fast_seconds=SETTINGS.fast_seconds,
            account_resync_seconds=SETTINGS.account_resync_seconds,
        ),
    )
    memo["driver"] = Driver(
        Schedule(resync_seconds=SETTINGS.resync_seconds), fast_seconds=SETTINGS.fast_seconds
    )
    if SETTINGS.metrics_port:
        prometheus_client.start_http_server(SETTINGS.metrics_port)


@kopf.on.cleanup()
async def close(memo: kopf.Memo, **_: Any) -> None:
    runtime: Runtime = memo["runtime"]
    await runtime.pool.close()
    await memo["secrets"].close()


@kopf.on.login()
async def login(settings: kopf.OperatorSettings, **_: Any) -> kopf.ConnectionInfo | None:
    return await _login(settings)


async def _login(settings: kopf.OperatorSettings) -> kopf.ConnectionInfo | None:
    """In-cluster service account first, else the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    info = kopf.login_with_service_account(settings=settings)
    return info or kopf.login_with_kubeconfig(settings=settings)
