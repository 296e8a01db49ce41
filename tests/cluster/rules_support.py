"""Helpers shared by the PrivateEndpointRule cluster tests (``test_rules*.py``).

Request-counter keys come from the emulator's route table (``ncc_emulator.endpoints``), named as
the tests use them; ``oob_delete`` plays someone deleting a rule straight at Databricks, outside
the operator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from ncc_emulator import endpoints
from tests.cluster.conftest import Env

NCCS = endpoints.NCCS
CREATE_RULE = endpoints.CREATE_RULE.key
LIST_RULES = endpoints.LIST_RULES.key
GET_RULE = endpoints.GET_RULE.key
PATCH_RULE = endpoints.PATCH_RULE.key
DELETE_RULE = endpoints.DELETE_RULE.key
GET_NCC = endpoints.GET_NCC.key
LIST_NCCS = endpoints.LIST_NCCS.key

RULE_KIND = "privateendpointrules"
NCC_KIND = "networkconnectivityconfigs"
DAY = 86400.0


def count(env: Env, key: str) -> int:
    return env.emulator.admin.request_counts().get(key, 0)


def writes(env: Env) -> dict[str, int]:
    """Every mutating API call the emulator has counted (auth token grants excluded)."""
    return endpoints.writes(env.emulator.admin.request_counts())


def wait_until(check: Callable[[], bool], what: str, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def ready_ncc(env: Env, name: str = "prod", *, region: str = "eastus2") -> str:
    """An Available account and NCC; returns the NCC's Databricks id."""
    env.account()
    env.wait_reason("databricksaccounts", "main", "Available")
    env.ncc(name, region=region)
    env.wait_reason(NCC_KIND, name, "Available")
    return env.ncc_id(name)


def active_rules(env: Env, ncc: str = "prod") -> list[dict[str, Any]]:
    """Rules of the NCC at Databricks that are not deactivated (deactivated counts as gone)."""
    return [r for r in env.databricks_rules(ncc) if not r.get("deactivated")]


def ready(obj: dict[str, Any]) -> dict[str, Any]:
    for c in obj.get("status", {}).get("conditions", []):
        if c.get("type") == "Ready":
            return dict(c)
    return {}


def events_of(env: Env, name: str, reason: str) -> list[dict[str, Any]]:
    return [e for e in env.events(name) if e["reason"] == reason]


def annotate_requested(env: Env, name: str, token: str) -> None:
    env.kubectl(
        "annotate",
        "--overwrite",
        f"{RULE_KIND}/{name}",
        f"ncc-operator.io/reconcile-requested-at={token}",
    )


def oob_delete(env: Env, ncc_id: str, rule_id: str) -> dict[str, Any]:
    """DELETE a rule at Databricks directly (as a person with the account admin's credentials)."""
    emu = env.emulator
    with httpx.Client(base_url=emu.base_url, timeout=30) as http:
        token = http.post(
            f"/oidc/accounts/{emu.account_id}/v1/token",
            data={"grant_type": "client_credentials", "scope": "all-apis"},
            auth=(emu.client_id, emu.client_secret),
        )
        token.raise_for_status()
        path = endpoints.DELETE_RULE.path(
            account_id=emu.account_id,
            network_connectivity_config_id=ncc_id,
            private_endpoint_rule_id=rule_id,
        )
        answer = http.delete(
            path, headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result
