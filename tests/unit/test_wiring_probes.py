"""The liveness probe's verdict over time (handlers/probes.py), with a scripted API.

Liveness must fail once the Kubernetes API has been unreachable for longer than the grace
period, not at the first blip, and must pass again as soon as the API answers.
"""

from __future__ import annotations

import asyncio
import time

import kopf
import pytest

from ncc_operator.handlers.probes import ApiHealth
from ncc_operator.resources.kube import KubeUnavailable


class ScriptedApi:
    def __init__(self) -> None:
        self.up = True
        self.pings = 0

    async def ping(self) -> None:
        self.pings += 1
        if not self.up:
            raise KubeUnavailable("the Kubernetes API could not be reached: ConnectError")


async def test_fails_only_after_the_grace_period_and_recovers_at_once() -> None:
    api = ScriptedApi()
    health = ApiHealth(grace=1.0, last_contact=time.monotonic())
    task = asyncio.create_task(health.watch(api))  # type: ignore[arg-type]
    try:
        await asyncio.sleep(0.2)
        assert health.report()["reachable"] is True

        api.up = False
        await asyncio.sleep(0.6)  # a blip shorter than the grace: reported, not failed
        blip = health.report()
        assert blip["reachable"] is False
        assert "ConnectError" in blip["error"]

        await asyncio.sleep(1.2)
        with pytest.raises(kopf.PermanentError, match=r"unreachable for \d+ s \(grace 1 s\)"):
            health.report()

        api.up = True
        await asyncio.sleep(health.interval + 0.3)
        assert health.report()["reachable"] is True
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
