"""The generic reconcile engine: decision table, conditions, problems, events and scheduling.

Knows nothing about NCCs or rules (adapters in ``resources/`` do) and nothing about Databricks'
wire format; adapters translate client errors into :mod:`.problems` at their boundary.
"""

from .conditions import READY, SYNCED, Condition, Status
from .contract import CreateGuard, ExternalClient, Result, Subject
from .engine import reconcile
from .events import EventReason, Sink
from .observation import Creation, Deletion, Observation, Readiness, Update
from .problems import (
    AuthFailed,
    Conflict,
    InvalidSpec,
    NamespaceNotAllowed,
    NotAllowed,
    OutcomeUnknown,
    Problem,
    ReferenceNotReady,
    Transient,
    Unexpected,
)
from .schedule import Locks, Schedule

__all__ = [
    "READY",
    "SYNCED",
    "AuthFailed",
    "Condition",
    "Conflict",
    "CreateGuard",
    "Creation",
    "Deletion",
    "EventReason",
    "ExternalClient",
    "InvalidSpec",
    "Locks",
    "NamespaceNotAllowed",
    "NotAllowed",
    "Observation",
    "OutcomeUnknown",
    "Problem",
    "Readiness",
    "ReferenceNotReady",
    "Result",
    "Schedule",
    "Sink",
    "Status",
    "Subject",
    "Transient",
    "Unexpected",
    "Update",
    "reconcile",
]
