"""Who may define accounts: the operator's account namespaces and workload-identity opt-in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ncc_operator.reconcile import NotAllowed
from ncc_operator.resources.accounts import AccountPool, PoolOptions
from ncc_operator.resources.world import account_entry

M2M = {"oauthM2M": {"secretRef": {"name": "creds"}}}
WIF = {"workloadIdentity": {"clientId": "platform-sp"}}


def account(namespace: str, auth: dict[str, Any]) -> Any:
    return account_entry(
        {
            "metadata": {"name": "main", "namespace": namespace, "uid": "u", "generation": 1},
            "spec": {"accountId": "acct-1", "cloud": "aws", "auth": auth},
        }
    )


class NoSecrets:
    def __init__(self) -> None:
        self.reads: list[str] = []

    async def read(self, namespace: str, name: str) -> Mapping[str, str]:
        self.reads.append(f"{namespace}/{name}")
        return {}


PLATFORM = PoolOptions(
    account_namespaces=frozenset({"platform"}),
    workload_identity_namespaces=frozenset({"platform"}),
)
CASES = [
    # (options, namespace, auth, allowed, why)
    (PoolOptions(), "team-a", M2M, True, "no list: any namespace (single-tenant default)"),
    (PoolOptions(), "team-a", WIF, False, "workload identity is opt-in: it is the operator's"),
    (PLATFORM, "platform", M2M, True, "the platform namespace"),
    (PLATFORM, "platform", WIF, True, "opted in for the platform namespace"),
    (PLATFORM, "team-a", M2M, False, "accounts only where the platform team keeps them"),
    (PLATFORM, "team-a", WIF, False, "and never the operator's identity elsewhere"),
    (
        PoolOptions(workload_identity_namespaces=frozenset({"*"})),
        "team-a",
        WIF,
        True,
        "'*' opts every namespace in (a single-tenant cluster)",
    ),
]


@pytest.mark.parametrize(
    ("options", "namespace", "auth", "allowed", "why"), CASES, ids=[c[4] for c in CASES]
)
async def test_who_may_define_accounts(
    options: PoolOptions, namespace: str, auth: dict[str, Any], allowed: bool, why: str
) -> None:
    secrets = NoSecrets()
    pool = AccountPool(secrets, options)
    entry = account(namespace, auth)
    if allowed:
        options.check_tenancy(entry.resource)
        return
    with pytest.raises(NotAllowed):
        await pool.client(entry)
    assert secrets.reads == [], f"{why}: not even its Secret is read"
