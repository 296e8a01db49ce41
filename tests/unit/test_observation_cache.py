"""The shared observation cache (resources/cache.py): a rule the operator just created is seen
in the NCC snapshot taken before it, without re-building the snapshot; snapshots of NCCs that
nobody reads any more are dropped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

from ncc_operator.databricks import (
    DatabricksAccountClient,
    NccPrivateEndpointRule,
    NetworkConnectivityConfiguration,
)
from ncc_operator.resources import cache
from ncc_operator.resources.cache import Observations


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


class Client:
    """The one call the cache makes, counted."""

    def __init__(self) -> None:
        self.gets: list[str] = []

    async def get_network_connectivity_configuration(
        self, ncc_id: str
    ) -> NetworkConnectivityConfiguration:
        self.gets.append(ncc_id)
        return NetworkConnectivityConfiguration(network_connectivity_config_id=ncc_id, name=ncc_id)


def observe(obs: Observations, client: Client, ncc_id: str, max_age: float = 60.0) -> Any:
    api = cast(DatabricksAccountClient, client)
    return asyncio.run(obs.ncc(api, ncc_id, max_age=max_age))


def rule(ncc_id: str, rule_id: str) -> NccPrivateEndpointRule:
    return NccPrivateEndpointRule(
        rule_id=rule_id, network_connectivity_config_id=ncc_id, resource_id=f"/r/{rule_id}"
    )


def test_noted_rules_join_the_snapshot_in_place_until_the_next_fetch() -> None:
    clock, client = Clock(), Client()
    obs = Observations(clock)
    snapshot = observe(obs, client, "n1")
    for i in range(500):
        obs.note_rule(rule("n1", f"r{i}"))
    assert observe(obs, client, "n1") is snapshot, "the snapshot object is not rebuilt per rule"
    assert set(obs.rules_in(snapshot)) == {f"r{i}" for i in range(500)}
    assert client.gets == ["n1"]
    clock.now += 61  # a refresh: Databricks' answer replaces what was noted
    fresh = observe(obs, client, "n1")
    assert obs.rules_in(fresh) == {}
    assert client.gets == ["n1", "n1"]


def test_a_rule_for_an_ncc_never_read_is_not_invented() -> None:
    obs = Observations(Clock())
    obs.note_rule(rule("unseen", "r1"))
    assert len(obs) == 0


def test_snapshots_unread_for_an_hour_are_dropped_with_their_parsed_rules() -> None:
    clock, client = Clock(), Client()
    obs = Observations(clock)
    observe(obs, client, "deleted-long-ago")
    obs.note_rule(rule("deleted-long-ago", "r1"))
    clock.now += cache.EVICT_AFTER_SECONDS + 1
    for i in range(cache.EVICT_EVERY_PUTS):  # the live NCCs keep being read
        observe(obs, client, f"live-{i}", max_age=0)
    assert len(obs) == cache.EVICT_EVERY_PUTS, "only the live snapshots are held"
    assert "deleted-long-ago" not in obs._parsed


def test_forgetting_an_ncc_forgets_its_parsed_rules() -> None:
    clock, client = Clock(), Client()
    obs = Observations(clock)
    snapshot = observe(obs, client, "n1")
    obs.note_rule(rule("n1", "r1"))
    obs.forget_ncc("n1")
    assert len(obs) == 0
    assert "n1" not in obs._parsed
    assert obs.rules_in(snapshot) == {}, "a stale snapshot object re-parses from Databricks' data"
