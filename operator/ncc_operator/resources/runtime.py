"""The operator's shared state, built once at start-up and handed to every adapter.

Holds the in-memory view of Kubernetes (:class:`~.world.World`, fed by Kopf indexes), the pool
of Databricks clients, the shared observations, the polling pace, and the cached outbound IP
ranges feed. Nothing here survives a restart, on purpose: after a restart every object is
re-observed once (reads O(NCCs)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .accounts import AccountPool
from .cache import Observations
from .ipranges import OutboundIpRanges
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
    outbound_ranges: OutboundIpRanges | None = None
    """Databricks' published serverless outbound IP ranges (None: the operator was not told
    where to read them); each NCC shows those of its cloud and region."""
    wake: Callable[[str], None] = lambda uid: None
    """Make an object (by uid) due now: the scheduler's, set at start-up."""


def account_key(ref: Ref) -> str:
    return str(ref)
