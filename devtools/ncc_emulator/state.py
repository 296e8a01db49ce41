"""The emulator's state object: one emulated Databricks account and everything around it.

:class:`Emulator` holds the store, the rule service, credentials, clock, configuration, faults,
request counters and the served ip-ranges document; :func:`snapshot` and :func:`restore` turn it
into the JSON document of the state file and back (``persistence`` writes and reads the file).
Nothing here knows HTTP: ``server`` wraps this object in the aiohttp application.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from . import network_policies, persistence
from .auth import AuthRegistry, FederationPolicy, IssuedToken, Principal
from .clock import Clock
from .faults import FaultInjector, TokenBucket
from .ipranges import IpRangesDocument
from .models import Ncc, Rule, Workspace
from .rules import RuleService
from .settings import EmulatorConfig, config_from_json
from .store import Store

log = logging.getLogger("ncc_emulator")
FORMAT_VERSION = 1


class Emulator:
    """One emulated Databricks account and everything around it."""

    def __init__(
        self,
        *,
        account_id: str,
        cloud: str,
        client_id: str,
        client_secret: str,
        config: EmulatorConfig | None = None,
        workspaces: Iterable[tuple[int, str]] = (),
        state_file: Path | None = None,
    ) -> None:
        if cloud not in ("aws", "azure", "gcp"):
            raise ValueError(f"unsupported cloud {cloud!r}")
        self.account_id, self.cloud = account_id, cloud
        self._credentials = (client_id, client_secret)
        self._initial_config = config.to_json() if config else EmulatorConfig().to_json()
        self._initial_workspaces = list(workspaces)
        self.state_file = state_file
        self.faults = FaultInjector()
        self.counts: Counter[str] = Counter()
        self.reset()
        if state_file is not None:
            loaded = persistence.read(state_file)
            if loaded is not None:
                restore(self, loaded)
                log.info("restored state from %s", state_file)

    def reset(self) -> None:
        """Back to the start-up state (the state file, if any, is overwritten on next save)."""
        self.clock = Clock()
        self.config = EmulatorConfig()
        self.config.merge(self._initial_config)
        self.store = Store(self.account_id, self.cloud, self.clock, self.config)
        self.rules = RuleService(self.store)
        self.network_policies = network_policies.NetworkPolicies(self.store)
        self.auth = AuthRegistry(self.account_id)
        self.auth.add_principal(*self._credentials, admin=True)
        for workspace_id, region in self._initial_workspaces:
            self.store.add_workspace(workspace_id, region)
        self.ip_ranges = IpRangesDocument()
        self.faults.clear()
        self.counts.clear()
        self._bucket: TokenBucket | None = None
        self._bucket_key: tuple[float | None, int | None] = (None, None)

    def save(self) -> None:
        if self.state_file is not None:
            persistence.write_atomic(self.state_file, snapshot(self))

    def rate_limited(self) -> int | None:
        """Retry-After seconds when the per-account token bucket is empty, else None."""
        key = (self.config.rate_limit_rps, self.config.rate_limit_burst)
        if key != self._bucket_key:
            self._bucket_key = key
            self._bucket = TokenBucket(key[0], key[1]) if key[0] else None
        return self._bucket.take() if self._bucket else None


def snapshot(emu: Emulator) -> dict[str, Any]:
    """The account as a JSON document: NCCs, rules, workspaces, network policies, credentials
    (as digests), issued tokens (as digests) and the clock offset, so a restarted emulator
    carries on."""
    store, auth = emu.store, emu.auth
    return {
        "version": FORMAT_VERSION,
        "account_id": emu.account_id,
        "cloud": emu.cloud,
        "clock_offset_ms": emu.clock.offset_ms,
        "config": emu.config.to_json(),
        "nccs": [dataclasses.asdict(n) for n in store.nccs.values()],
        "rules": [dataclasses.asdict(r) for r in store.rules.values()],
        "workspaces": [dataclasses.asdict(w) for w in store.workspaces.values()],
        "missing_targets": sorted(store.missing_targets),
        "last_seq": store.last_seq,
        "principals": [dataclasses.asdict(p) for p in auth.principals.values()],
        "pats": auth.pats,
        "policies": [dataclasses.asdict(p) for p in auth.policies],
        "tokens": {k: dataclasses.asdict(t) for k, t in auth.tokens.items()},
        "network_policies": network_policies.snapshot(emu.network_policies),
    }


def restore(emu: Emulator, data: dict[str, Any]) -> None:
    """Load a :func:`snapshot` into ``emu``; refuses another account's or format's document."""
    if data.get("version") != FORMAT_VERSION or data.get("account_id") != emu.account_id:
        raise ValueError("state file belongs to another account or format version")
    emu.clock.offset_ms = int(data["clock_offset_ms"])
    emu.config.__dict__.update(config_from_json(data["config"], drop_retired=True).__dict__)
    store, auth = emu.store, emu.auth
    store.nccs = {n["network_connectivity_config_id"]: Ncc(**n) for n in data["nccs"]}
    store.rules = {r["rule_id"]: Rule(**r) for r in data["rules"]}
    store.workspaces = {w["workspace_id"]: Workspace(**w) for w in data["workspaces"]}
    store.missing_targets = set(data["missing_targets"])
    store.last_seq = int(data.get("last_seq", 0))
    store.resume_sequence()
    auth.principals = {p["client_id"]: Principal(**p) for p in data["principals"]}
    auth.pats = dict(data["pats"])
    auth.policies = [FederationPolicy(**p) for p in data["policies"]]
    auth.tokens = {k: IssuedToken(**t) for k, t in data["tokens"].items()}
    network_policies.restore(emu.network_policies, data.get("network_policies"))
