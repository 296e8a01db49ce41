"""The fixed event vocabulary and the sink the engine reports to.

Every Kubernetes event the operator emits has one of these CamelCase reasons, so alerts and
dashboards can match on them. Ready-condition reasons double as event reasons for transitions.
The sink is a protocol: the Kopf wiring posts events and records metrics; tests collect them.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol


class EventReason(StrEnum):
    # Actions taken at Databricks.
    CREATED = "Created"
    RECREATED = "Recreated"
    ADOPTED = "Adopted"
    UPDATED = "Updated"
    DELETED = "Deleted"
    ORPHANED = "Orphaned"
    ATTACHED = "Attached"
    BOUND = "Bound"
    # Ready transitions (also Ready condition reasons).
    AVAILABLE = "Available"
    CREATING = "Creating"
    AWAITING_APPROVAL = "AwaitingApproval"
    ESTABLISHED = "Established"
    REJECTED = "Rejected"
    DISCONNECTED = "Disconnected"
    EXPIRED = "Expired"
    CREATE_FAILED = "CreateFailed"
    NOT_FOUND = "NotFound"
    DELETING = "Deleting"
    ATTACHING = "Attaching"
    WORKSPACES_NOT_ATTACHED = "WorkspacesNotAttached"
    BINDING = "Binding"
    WORKSPACES_NOT_BOUND = "WorkspacesNotBound"
    # Synced transitions (also Synced condition reasons).
    RECONCILE_SUCCESS = "ReconcileSuccess"
    RECONCILE_ERROR = "ReconcileError"
    RECONCILE_PAUSED = "ReconcilePaused"
    REFERENCE_NOT_READY = "ReferenceNotReady"
    CONFLICT = "Conflict"
    NOT_ALLOWED = "NotAllowed"
    NAMESPACE_NOT_ALLOWED = "NamespaceNotAllowed"
    INVALID_SPEC = "InvalidSpec"
    AUTH_FAILED = "AuthFailed"
    CREATE_OUTCOME_UNKNOWN = "CreateOutcomeUnknown"
    UPDATE_WAITING = "UpdateWaiting"
    NOT_DETACHABLE = "NotDetachable"
    DELETE_BLOCKED = "DeleteBlocked"
    DRIFT_DETECTED = "DriftDetected"


class Sink(Protocol):
    """Where the engine reports: Kubernetes events and reconcile metrics."""

    def event(self, *, warning: bool, reason: EventReason, message: str) -> None: ...

    def reconciled(self, *, action: str, outcome: str, seconds: float) -> None: ...

    def settled(self, status: Mapping[str, Any], *, released: bool) -> None:
        """The object's whole status after this pass (for gauges); ``released`` when deleted."""
        ...
