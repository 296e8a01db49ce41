"""Escape routes that used to leave a traceback per tick and a stale status, one case each.

The engine's own totality (any exception in a pass) is in ``test_engine_guards.py``; these are
the routes around it: a body the model refuses, a Secret that never appears, a quota.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import kopf
import pytest

from ncc_operator.databricks import ResourceExhausted
from ncc_operator.reconcile import Result, Subject
from ncc_operator.reconcile.driver import Cause, Driver
from ncc_operator.reconcile.schedule import Schedule
from ncc_operator.resources.accounts import SecretNotReady
from ncc_operator.resources.errors import problem_from
from tests.unit.sinks import NullSink


class _Refusing:
    """An adapter whose model refuses the body (admitted by an older, looser CRD)."""

    kind = "PrivateEndpointRule"
    resync_seconds = None

    def parse(self, body: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
        raise ValueError("spec.azure.resourceId: must be an Azure resource id")

    def subject(self, body: Mapping[str, Any], *, forced: bool) -> Subject:
        raise AssertionError("never read: the model refused the body")

    async def connect(self, body: Mapping[str, Any], context: Any, *, forced: bool) -> Any:
        raise AssertionError("never connected: nothing is done until the spec is fixed")

    def dependents(self, body: Mapping[str, Any], context: Any) -> list[str]:
        return []

    def observers(self, body: Mapping[str, Any], context: Any) -> list[str]:
        return []


def _body(**meta: Any) -> kopf.Body:
    metadata = {"uid": "u1", "name": "r", "namespace": "ns", "generation": 2, **meta}
    return cast(kopf.Body, {"metadata": metadata, "spec": {}, "status": {}})


@pytest.mark.parametrize(
    ("meta", "cause", "released", "why"),
    [
        pytest.param({}, Cause.CHANGE, False, "reported, not a traceback", id="change"),
        pytest.param(
            {"deletionTimestamp": "2026-12-01T00:00:00Z"},
            Cause.DELETE,
            True,
            "deleting, nothing was ever created: released",
            id="delete-never-created",
        ),
        pytest.param(
            {
                "deletionTimestamp": "2026-12-01T00:00:00Z",
                "annotations": {"state.ncc-operator.io/create-pending": "2026-12-01T00:00:00Z"},
            },
            Cause.DELETE,
            False,
            "deleting with a pending create: kept until the spec is fixed or Orphan",
            id="delete-pending",
        ),
    ],
)
async def test_a_body_the_model_refuses_becomes_a_condition(
    meta: dict[str, Any], cause: Cause, released: bool, why: str
) -> None:
    patch: dict[str, Any] = {}
    driver = Driver(sinks=lambda kind, body: NullSink())
    adapter = cast(Any, _Refusing())
    got = await driver.run(adapter, _body(**meta), cast(kopf.Patch, patch), None, cause)
    assert got is released, why
    conditions = {c["type"]: c for c in patch["status"]["conditions"]}
    assert conditions["Synced"]["reason"] == "InvalidSpec", why
    assert "must be an Azure resource id" in conditions["Synced"]["message"], why
    assert conditions["Ready"]["status"] == "False"


def test_a_secret_that_never_appears_is_looked_for_with_backoff() -> None:
    schedule = Schedule()
    problem = SecretNotReady("Secret creds does not exist")
    delays = [schedule.plan("acct", Result(action="error", problem=problem, requeue_after=5.0))]
    for _ in range(6):
        delays.append(
            schedule.plan("acct", Result(action="error", problem=problem, requeue_after=5.0))
        )
    assert delays[:4] == [5.0, 10.0, 20.0, 40.0], "backs off instead of every 5 s forever"
    assert max(delays) == 60.0, "and a Secret created later is still noticed within a minute"


@pytest.mark.parametrize("status", [400, 429], ids=["quota-as-400", "quota-as-429"])
def test_resource_exhausted_names_the_quota_and_is_retried_slowly(status: int) -> None:
    error = ResourceExhausted(
        "Quota exceeded: at most 30 private endpoints per region",
        error_code="RESOURCE_EXHAUSTED",
        status_code=status,
    )
    problem = problem_from(error, doing="creating the rule")
    assert "30 private endpoints per region" in problem.message
    assert "10 NCCs per region" in problem.message
    assert problem.retry_after is not None
    assert problem.retry_after >= 300, "never a loop"
    assert problem.backoff
    assert not problem.terminal, "retried once the quota is raised, without a spec change"
