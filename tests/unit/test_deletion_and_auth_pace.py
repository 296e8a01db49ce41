"""Paces the cluster tests rely on: quick re-checks of deletions waiting on Kubernetes, a blocked
deletion released at once when its policy switches to Orphan, and rejected credentials retried at
the account's resync pace (so a fixed Secret is picked up soon, without a restart)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from ncc_operator.models import FINALIZER
from ncc_operator.reconcile import (
    AuthFailed,
    Creation,
    Deletion,
    ExternalClient,
    Observation,
    Subject,
    Update,
    reconcile,
)
from ncc_operator.reconcile.driver import blocked_deletion_now_released
from ncc_operator.reconcile.engine import DELETE_BLOCKED_RETRY_SECONDS
from ncc_operator.resources.accounts import AccountClient, AccountPool
from ncc_operator.resources.adapters import NccAdapter
from ncc_operator.resources.cache import Observations
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import account_entry
from tests.unit.sinks import NullSink


class _Blocked:
    def __init__(self, deletion: Deletion) -> None:
        self.deletion = deletion

    async def observe(self) -> Observation:
        return Observation(exists=True, external_id="id-1")

    async def create(self) -> Creation:
        raise AssertionError("not called")

    async def update(self, seen: Observation) -> Update:
        raise AssertionError("not called")

    async def delete(self, seen: Observation) -> Deletion:
        return self.deletion


@pytest.mark.parametrize(
    ("deletion", "expected"),
    [
        # Waiting on rules being deleted in Kubernetes: look again at the asked (fast) pace.
        (Deletion(done=False, blocked="rules first", retry_after=1.0), 1.0),
        # Waiting on people (attached workspaces): the slow blocked-delete pace.
        (Deletion(done=False, blocked="workspaces attached"), DELETE_BLOCKED_RETRY_SECONDS),
    ],
)
async def test_blocked_deletion_requeue(deletion: Deletion, expected: float) -> None:
    async def connect() -> ExternalClient:
        return _Blocked(deletion)

    subject = Subject(kind="Kind", name="ns/x", generation=1, status={"id": "id-1"}, deleting=True)
    result = await reconcile(subject, connect, NullSink())
    assert result.requeue_after == expected
    assert not result.release


def _ncc_body(*, policy: str, reason: str, finalizer: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "networking.ncc-operator.io/v1alpha1",
        "kind": "NetworkConnectivityConfig",
        "metadata": {
            "name": "prod",
            "namespace": "ns",
            "uid": "u1",
            "generation": 2,
            "deletionTimestamp": "2026-01-01T00:00:00Z",
            "finalizers": [FINALIZER] if finalizer else [],
        },
        "spec": {"accountRef": {"name": "main"}, "region": "eastus2", "deletionPolicy": policy},
        "status": {
            "conditions": [
                {
                    "type": "Synced",
                    "status": "False",
                    "reason": reason,
                    "message": "",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ]
        },
    }


@pytest.mark.parametrize(
    ("body", "expected", "why"),
    [
        (_ncc_body(policy="Orphan", reason="DeleteBlocked"), True, "switched to Orphan"),
        (_ncc_body(policy="Delete", reason="DeleteBlocked"), False, "still Delete: keep waiting"),
        (_ncc_body(policy="Orphan", reason="ReconcileSuccess"), False, "the delete handler runs"),
        (
            _ncc_body(policy="Orphan", reason="DeleteBlocked", finalizer=False),
            False,
            "already released",
        ),
    ],
)
def test_blocked_deletion_released_on_policy_switch(
    body: dict[str, Any], expected: bool, why: str
) -> None:
    # Nothing indexed: the adapter parses the body itself.
    runtime = cast(Runtime, SimpleNamespace(world=SimpleNamespace(ncc=lambda ref: None)))
    assert blocked_deletion_now_released(NccAdapter(), body, runtime, FINALIZER) is expected, why


class _FailingPool:
    async def client(self, entry: Any, *, refresh: bool = False) -> Any:
        raise AuthFailed("invalid_client", retry_after=300.0)


async def test_rejected_credentials_retry_at_account_pace() -> None:
    body = {
        "apiVersion": "networking.ncc-operator.io/v1alpha1",
        "kind": "DatabricksAccount",
        "metadata": {"name": "main", "namespace": "ns", "uid": "a1"},
        "spec": {
            "accountId": "0d5b5a1e-7c55-4c8e-9d3a-5e1f00c0ffee",
            "cloud": "azure",
            "auth": {"oauthM2M": {"secretRef": {"name": "creds"}}},
        },
    }
    pool = cast(AccountPool, _FailingPool())
    client = AccountClient(account_entry(body), pool, Observations(), auth_retry_seconds=2.0)
    with pytest.raises(AuthFailed) as failed:
        await client.observe()
    assert failed.value.retry_after == 2.0
