"""Shared observations: one GET of an NCC feeds the NCC and every one of its rules.

This is what makes observing cost O(NCCs) rather than O(rules) (DESIGN §3): a rule's status comes
from ``egress_config.target_rules`` of its NCC's latest snapshot. Refreshes are single-flight —
many rules asking at once cause one request — and a snapshot younger than the caller's
``max_age`` is served from memory. The workspace list of each account is shared the same way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from ncc_operator.databricks import (
    DatabricksAccountClient,
    NccPrivateEndpointRule,
    NetworkConnectivityConfiguration,
    NotFound,
    Workspace,
)

T = TypeVar("T")


@dataclass(frozen=True)
class _Snap(Generic[T]):
    value: T
    taken: float


EVICT_AFTER_SECONDS = 3600.0
"""A snapshot nobody refreshed for this long belongs to an object that is gone (live ones are
re-read at every resync, 5 minutes by default): it is dropped, so deleted NCCs do not pile up."""
EVICT_EVERY_PUTS = 256


class _SingleFlight(Generic[T]):
    """Keyed memo with a maximum age; concurrent misses share one fetch; entries unused for
    ``horizon`` seconds are evicted (checked every few hundred writes: amortised O(1))."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        horizon: float = EVICT_AFTER_SECONDS,
        on_evict: Callable[[str], None] | None = None,
    ) -> None:
        self._clock = clock
        self._snaps: dict[str, _Snap[T]] = {}
        self._inflight: dict[str, asyncio.Future[T]] = {}
        self._horizon = horizon
        self._on_evict = on_evict
        self._puts = 0

    async def get(self, key: str, max_age: float, fetch: Callable[[], Awaitable[T]]) -> T:
        snap = self._snaps.get(key)
        if snap is not None and self._clock() - snap.taken <= max_age:
            return snap.value
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await fetch()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # mark retrieved: waiters re-raise it, nobody logs it twice
            raise
        finally:
            self._inflight.pop(key, None)
        self.put(key, value)
        future.set_result(value)
        return value

    def put(self, key: str, value: T) -> None:
        self._snaps[key] = _Snap(value, self._clock())
        self._puts += 1
        if self._puts % EVICT_EVERY_PUTS == 0:
            self._evict()

    def _evict(self) -> None:
        oldest = self._clock() - self._horizon
        for key in [k for k, snap in self._snaps.items() if snap.taken < oldest]:
            self.forget(key)

    def peek(self, key: str) -> T | None:
        snap = self._snaps.get(key)
        return snap.value if snap is not None else None

    def forget(self, key: str) -> None:
        self._snaps.pop(key, None)
        if self._on_evict is not None:
            self._on_evict(key)

    def __len__(self) -> int:
        return len(self._snaps)


def rules_are_listed(cloud: str) -> bool:
    """Whether an NCC of ``cloud`` shows its rules only through the rule list
    (:meth:`Observations.listed_rules`): GCP, whose rules GET NCC does not carry."""
    return str(cloud) == "gcp"


class Observations:
    """NCC snapshots (``None`` = 404) and per-account workspace lists."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._parsed: dict[
            str, tuple[NetworkConnectivityConfiguration, dict[str, NccPrivateEndpointRule]]
        ] = {}
        self._nccs: _SingleFlight[NetworkConnectivityConfiguration | None] = _SingleFlight(
            clock, on_evict=self._forget_parsed
        )
        self._workspaces: _SingleFlight[dict[int, Workspace]] = _SingleFlight(clock)
        self._lists: _SingleFlight[dict[str, NccPrivateEndpointRule] | None] = _SingleFlight(clock)
        self._looked: dict[str, NetworkConnectivityConfiguration] = {}

    def _forget_parsed(self, ncc_id: str) -> None:
        self._parsed.pop(ncc_id, None)
        self._looked.pop(ncc_id, None)

    def first_look(self, ncc: NetworkConnectivityConfiguration) -> bool:
        """True the first time it is asked about this snapshot (object), False after: work done
        once per snapshot however many rules read it."""
        key = str(ncc.network_connectivity_config_id)
        if self._looked.get(key) is ncc:
            return False
        self._looked[key] = ncc
        return True

    def __len__(self) -> int:
        """NCC snapshots held (404s included): bounded by the NCCs seen in the last hour."""
        return len(self._nccs)

    def rules_in(self, ncc: NetworkConnectivityConfiguration) -> dict[str, NccPrivateEndpointRule]:
        """The rules embedded in a snapshot, by rule id, parsed once per snapshot.

        Every rule of an NCC reads the same snapshot; without this each would re-validate all
        of its siblings (quadratic in the rules per NCC).
        """
        key = str(ncc.network_connectivity_config_id)
        cached = self._parsed.get(key)
        if cached is not None and cached[0] is ncc:
            return cached[1]
        rules = {str(r.rule_id): r for r in embedded_rules(ncc)}
        self._parsed[key] = (ncc, rules)
        return rules

    async def ncc(
        self, client: DatabricksAccountClient, ncc_id: str, *, max_age: float
    ) -> NetworkConnectivityConfiguration | None:
        async def fetch() -> NetworkConnectivityConfiguration | None:
            try:
                return await client.get_network_connectivity_configuration(ncc_id)
            except NotFound:
                return None

        return await self._nccs.get(ncc_id, max_age, fetch)

    async def listed_rules(
        self, client: DatabricksAccountClient, ncc_id: str, *, max_age: float
    ) -> dict[str, NccPrivateEndpointRule] | None:
        """The NCC's rules from the rule list, by rule id (``None``: the NCC is gone). For GCP,
        whose rules GET NCC does not carry."""

        async def fetch() -> dict[str, NccPrivateEndpointRule] | None:
            try:
                listed = await client.list_private_endpoint_rules(ncc_id)
            except NotFound:
                return None
            return {str(r.rule_id): r for r in listed}

        return await self._lists.get(ncc_id, max_age, fetch)

    def put_ncc(self, ncc: NetworkConnectivityConfiguration) -> None:
        if ncc.network_connectivity_config_id:
            self._nccs.put(ncc.network_connectivity_config_id, ncc)

    def forget_ncc(self, ncc_id: str) -> None:
        self._nccs.forget(ncc_id)
        self._lists.forget(ncc_id)

    def note_rule(self, rule: NccPrivateEndpointRule) -> None:
        """Fold a rule we just created/changed into its NCC's snapshot.

        Without this, a snapshot taken before the create would make the new rule look missing
        (and be "recreated") until the next refresh.
        """
        ncc_id = rule.network_connectivity_config_id
        if ncc_id is None:
            return
        listed = self._lists.peek(ncc_id)
        if listed is not None:
            listed[str(rule.rule_id)] = rule
        ncc = self._nccs.peek(ncc_id)
        if ncc is None:
            return
        # Into the snapshot's parsed rules, in place: O(1) per rule, where re-serialising the
        # whole NCC per created rule made a bulk apply O(rules²). The next fetch replaces both.
        self.rules_in(ncc)[str(rule.rule_id)] = rule

    async def workspaces(
        self, client: DatabricksAccountClient, account_key: str, *, max_age: float
    ) -> dict[int, Workspace]:
        async def fetch() -> dict[int, Workspace]:
            listed = await client.list_workspaces()
            return {w.workspace_id: w for w in listed if w.workspace_id is not None}

        return await self._workspaces.get(account_key, max_age, fetch)

    def forget_workspaces(self, account_key: str) -> None:
        self._workspaces.forget(account_key)


def embedded_rules(ncc: NetworkConnectivityConfiguration) -> list[NccPrivateEndpointRule]:
    """Every rule embedded in the NCC, Azure and AWS alike, as the full rule model."""
    targets = ncc.egress_config.target_rules if ncc.egress_config else None
    if targets is None:
        return []
    found = [
        *(targets.azure_private_endpoint_rules or []),
        *(targets.aws_private_endpoint_rules or []),
    ]
    return [NccPrivateEndpointRule.model_validate(r.model_dump(exclude_none=True)) for r in found]
