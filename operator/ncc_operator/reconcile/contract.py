"""The engine's contract with adapters and with the wiring: the client protocol, the create
guard, the subject a pass is about, and the result it hands back.

Separate from the decision table (``engine.py``) so adapters and the driver can read what they
must provide and what they get without the table's details.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .observation import Creation, Deletion, Observation, Update
from .problems import Problem


class ExternalClient(Protocol):
    """One kind's view of its Databricks object, bound to one custom resource.

    The contract, as in crossplane-runtime's ``ExternalClient``:

    - ``observe`` reads and never writes. It finds the object by the recorded id, else by
      ``externalId``, else by the natural key (the immutable target only), and returns one
      frozen :class:`Observation` whose ``observed`` is what ``update``/``delete`` act on.
      It raises a :class:`Problem` for anything that must stop the pass (a Conflict with
      another resource, a reference not Ready, a Databricks error).
    - ``create`` is not idempotent at Databricks: the engine calls it only after recording
      "create pending" and only when ``observe`` found nothing. A conflict answer ("already
      exists") is settled by looking the object up by natural key and adopting it.
    - ``update(seen)`` applies the difference ``seen`` describes; repeating it is harmless.
    - ``delete(seen)`` is idempotent (gone already counts as done); the engine observes again
      afterwards and releases only when that observation says the object is gone.
    """

    async def observe(self) -> Observation[Any]: ...

    async def create(self) -> Creation: ...

    async def update(self, seen: Observation[Any]) -> Update: ...

    async def delete(self, seen: Observation[Any]) -> Deletion: ...


Connect = Callable[[], Awaitable[ExternalClient]]


class CreateGuard(Protocol):
    """Records "create pending" on the Kubernetes object, confirmed, before a create is sent.

    Raises (a :class:`Problem` or anything else) when the write is not confirmed; the engine
    then sends nothing.
    """

    async def mark_create_pending(self) -> None: ...


CREATE_SETTLE_SECONDS = 30.0
"""A pending create younger than this, whose object the lookup does not find yet, is looked up
again instead of re-sent: listings can lag a create that timed out while succeeding."""


@dataclass(frozen=True)
class Subject:
    """What the engine needs to know about one custom resource."""

    kind: str
    name: str
    generation: int
    status: Mapping[str, Any] = field(default_factory=dict)
    deleting: bool = False
    paused: bool = False
    observe_only: bool = False
    orphan_on_delete: bool = False
    forced: bool = False
    """A re-observe was requested (annotation or spec change): do not wait on a terminal state."""
    create_pending: str | None = None
    """When a create was last marked pending (RFC 3339), if the mark is on the object."""

    @property
    def recorded_id(self) -> str | None:
        found = self.status.get("id")
        return str(found) if found else None


@dataclass(frozen=True)
class Result:
    """What the wiring must do: patch status, release the finalizer, reconcile again later."""

    action: str
    status_patch: Mapping[str, Any] | None = None
    release: bool = False
    requeue_after: float | None = None
    problem: Problem | None = None
    clear_create_pending: bool = False
    """The pending-create mark can go: the id is recorded, or the create was refused."""
