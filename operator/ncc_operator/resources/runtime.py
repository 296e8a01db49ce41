"""The operator's shared state, built once at start-up and handed to every adapter.

Holds the in-memory view of Kubernetes (:class:`~.world.World`, fed by Kopf indexes), the pool
of Databricks clients, the shared observations, and the polling pace. Nothing here survives a
restart, on purpose: after a restart every object is re-observed once (reads O(NCCs)).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .accounts import AccountPool
from .cache import Observations
from .world import Ref, World


@dataclass(frozen=True)
class Pace:
    resync_seconds: float = 300.0
    """Steady-state re-observe interval (jittered ±10% by the schedule)."""
    fast_seconds: float = 10.0
    """Re-observe interval while anything is CREATING/PENDING, and snapshot age for new rules."""
    account_resync_seconds: float = 60.0
    """Accounts re-read their Secret and re-verify this often (credential rotation)."""


@dataclass
class Runtime:
    world: World
    pool: AccountPool
    observations: Observations = field(default_factory=Observations)
    pace: Pace = field(default_factory=Pace)


def account_key(ref: Ref) -> str:
    return str(ref)
