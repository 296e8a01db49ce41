"""Liveness: ``/healthz`` answers non-200 once the operator has lost the Kubernetes API.

Kopf serves the liveness endpoint and runs every ``@kopf.on.probe`` handler for it; a probe that
raises turns the answer into HTTP 500 (kopf/_core/engines/probing.py), and only successful
results are cached (10 s), so a failure is reported at the next request. Without a probe the
endpoint answers ``200 {}`` through any outage.

What is checked: one authenticated request to the API every few seconds, in the background (a
probe request must answer fast). Kopf's own watch streams reconnect by themselves and recover
when the API does, and a quiet watch sends nothing, so silence on a stream is no failure signal;
an API the operator cannot reach (or that rejects its credentials) is the state in which no
watch, status patch or event can work. After ``grace`` seconds of it, liveness fails and the
kubelet restarts the pod (new connections, new login); shorter blips are only reported.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import kopf

from ncc_operator.resources.kube import KubeSecrets, KubeUnavailable

GRACE_KEY = "liveness_grace_seconds"
"""Memo key set by ``ncc-operator run --liveness-grace`` (None: liveness disabled)."""
DEFAULT_GRACE_SECONDS = 60.0
HEALTH_KEY, TASK_KEY, API_KEY = "api_health", "api_health_task", "api_health_client"
logger = logging.getLogger(__name__)


@dataclass
class ApiHealth:
    """The last successful contact with the Kubernetes API, and the last failure since."""

    grace: float
    last_contact: float
    error: str | None = None

    @property
    def interval(self) -> float:
        # Often enough that detection takes about the grace period, never more than every 10 s.
        return max(0.5, min(10.0, self.grace / 3))

    async def watch(self, api: KubeSecrets) -> None:
        while True:
            try:
                await asyncio.wait_for(api.ping(), timeout=max(self.interval, 5.0))
            except (KubeUnavailable, TimeoutError) as error:
                if self.error is None:
                    logger.warning("Kubernetes API check failed: %s", error)
                self.error = str(error) or "the API check timed out"
            else:
                if self.error is not None:
                    logger.info("Kubernetes API reachable again")
                self.last_contact, self.error = time.monotonic(), None
            await asyncio.sleep(self.interval)

    def report(self) -> dict[str, Any]:
        silent = time.monotonic() - self.last_contact
        if self.error is not None and silent > self.grace:
            raise kopf.PermanentError(
                f"the Kubernetes API has been unreachable for {silent:.0f} s (grace "
                f"{self.grace:g} s): {self.error}"
            )
        return {
            "reachable": self.error is None,
            "secondsSinceContact": round(silent, 1),
            "graceSeconds": self.grace,
            **({"error": self.error} if self.error else {}),
        }


def start(memo: kopf.Memo, api: KubeSecrets) -> None:
    """Begin checking the API in the background, unless liveness is disabled."""
    grace = memo.get(GRACE_KEY, DEFAULT_GRACE_SECONDS)
    if grace is None:
        return
    health = ApiHealth(grace=float(grace), last_contact=time.monotonic())
    memo[HEALTH_KEY] = health
    memo[TASK_KEY] = asyncio.get_running_loop().create_task(
        health.watch(api), name="kubernetes API check"
    )
    memo[API_KEY] = api


async def stop(memo: kopf.Memo) -> None:
    task: asyncio.Task[None] | None = memo.get(TASK_KEY)
    if task is not None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    api: KubeSecrets | None = memo.get(API_KEY)
    if api is not None:
        await api.close()


def register(registry: kopf.OperatorRegistry) -> None:
    @kopf.on.probe(id="kubernetes-api", registry=registry)
    def kubernetes_api(memo: kopf.Memo, **_: Any) -> dict[str, Any]:
        health: ApiHealth | None = memo.get(HEALTH_KEY)
        if health is None:
            return {"checked": False}
        return health.report()
