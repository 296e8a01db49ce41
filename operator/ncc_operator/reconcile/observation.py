"""What an adapter tells the engine: observations and the results of create, update and delete.

Modelled on Crossplane's ``ExternalObservation``: ``observe`` reads and never writes, and returns
one frozen record the engine decides on. Adapters fill these in; only the engine turns them into
status, events and requeues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic

from typing_extensions import TypeVar

T = TypeVar("T", default=Any)
"""The adapter's observed type; bare ``Observation`` means ``Observation[Any]``."""


@dataclass(frozen=True)
class Readiness:
    """The Ready condition an observation implies.

    ``warning`` marks states a person must act on (Rejected, Disconnected, …): the transition into
    them is a Warning event. ``transitional`` states (Creating, AwaitingApproval) make the engine
    poll faster until they settle.
    """

    ready: bool
    reason: str
    message: str = ""
    warning: bool = False
    transitional: bool = False


@dataclass(frozen=True)
class Observation(Generic[T]):
    """The external object as seen now.

    - ``observed``: the adapter's typed view of what it saw (the Databricks object plus what it
      computed from it, e.g. an NCC's workspace plan). ``update``/``delete`` act on this only:
      they never re-read or re-derive state from ``at_provider``, which is for users.
    - ``exists``: the object is there and usable (a deactivated rule does not exist).
    - ``external_id``: its Databricks id; ``adopted`` when it was found by natural key rather
      than by the id recorded in status — the engine then records the id before anything else.
    - ``up_to_date``: the spec's mutable fields match; when False, ``update`` is called, unless
      ``update_waiting`` says why it cannot be applied yet (e.g. S3 ``enabled`` waits for
      ESTABLISHED) — then the engine reports that instead of failing.
    - ``drift``: an out-of-band change worth an event (e.g. "deactivated outside the operator").
    - ``unsynced``: part of the spec cannot be made true although nothing failed (a workspace
      claimed by another NCC, one removed from the list that Databricks cannot detach): Synced
      becomes False with this reason and message, everything else is reported as usual.
    """

    exists: bool
    external_id: str | None = None
    observed: T | None = None
    adopted: bool = False
    up_to_date: bool = True
    update_waiting: str | None = None
    readiness: Readiness | None = None
    at_provider: Mapping[str, Any] = field(default_factory=dict)
    drift: str | None = None
    unsynced: tuple[str, str] | None = None


@dataclass(frozen=True)
class Creation:
    """The outcome of ``create``; ``adopted`` when Databricks answered that the object already
    existed and the adapter found and took it (a create whose earlier answer was lost)."""

    external_id: str
    at_provider: Mapping[str, Any] = field(default_factory=dict)
    readiness: Readiness | None = None
    message: str = ""
    adopted: bool = False


@dataclass(frozen=True)
class Update:
    """The outcome of ``update``. ``at_provider``, when set, is what status shows after the
    write, in place of the observation from before it: a record the adapter reads back on its
    next pass (a policy's bound workspaces) must hold what this write did, or an edit before
    that pass would lose it."""

    message: str
    at_provider: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Deletion:
    """``done`` when gone (or deactivated); otherwise ``blocked`` says why, and the remedy.

    ``retry_after`` overrides the engine's slow blocked-delete pace when the wait is on something
    that settles soon (e.g. dependent resources being deleted in Kubernetes).
    """

    done: bool
    blocked: str | None = None
    message: str = ""
    retry_after: float | None = None
