"""A pass that meets a Kubernetes API outage is retried within seconds, however often it meets
it: the API is the operator's own cluster and comes back in seconds (a restart, an etcd blip),
and an object that tried during the outage must not then wait minutes. CI caught a rule
applied just before a kube-apiserver crash still not created 45 s after the API was back: its
pass had met the outage at the create guard, and a KubeUnavailable was retried like a
Databricks outage (30 s, doubling to 10 minutes)."""

from __future__ import annotations

import httpx
import pytest

from ncc_operator.reconcile import Observation, reconcile
from ncc_operator.reconcile.schedule import Schedule
from ncc_operator.resources.kube import (
    KUBE_RETRY_CAP_SECONDS,
    KubeRefused,
    KubeUnavailable,
    _raise_for_status,
)
from tests.unit.test_engine import Sink
from tests.unit.test_engine_guards import SUBJECT, Scripted


class _DownGuard:
    """The create guard while the API is down: the annotation cannot be written."""

    async def mark_create_pending(self) -> None:
        raise KubeUnavailable("the Kubernetes API could not be reached while recording")


@pytest.mark.parametrize(
    ("failures", "reason"),
    [
        (1, "the first failure: look again at once, the API is likely back"),
        (3, "a restart of 20 s or so: still seconds"),
        (12, "a long outage: capped, never the 10-minute Databricks cap"),
    ],
)
async def test_passes_meeting_a_kube_outage_retry_within_seconds(
    failures: int, reason: str
) -> None:
    client = Scripted([Observation(exists=False)])
    schedule = Schedule()
    delay = 0.0
    for _ in range(failures):
        result = await reconcile(
            SUBJECT, _connect(client), Sink(), guard=_DownGuard(), fast_seconds=10.0
        )
        assert "create" not in client.calls, "nothing is sent before the guard is written"
        delay = schedule.plan("uid-1", result)
    assert 0 < delay <= KUBE_RETRY_CAP_SECONDS, reason
    assert KUBE_RETRY_CAP_SECONDS <= 10.0


def _connect(client: Scripted):  # type: ignore[no-untyped-def]
    async def connect() -> Scripted:
        return client

    return connect


async def test_an_unexpected_4xx_keeps_the_general_backoff() -> None:
    """A 422 (say) is not an outage that ends in seconds: no retry every few seconds."""
    response = httpx.Response(422, request=httpx.Request("PATCH", "https://kube/x"))
    with pytest.raises(KubeRefused) as raised:
        _raise_for_status(response, what="writing the status")
    result = await reconcile(
        SUBJECT,
        _connect(Scripted([Observation(exists=False)])),
        Sink(),
        guard=_Raising(raised.value),
    )
    schedule = Schedule()
    delays = [schedule.plan("uid-1", result) for _ in range(3)]
    assert delays == [30.0, 60.0, 120.0]


class _Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def mark_create_pending(self) -> None:
        raise self.error
