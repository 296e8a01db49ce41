"""The reasons a reconcile cannot proceed, classified once (DESIGN §3 "Errors are classified once").

Adapters raise these (translating Databricks and Kubernetes errors at their boundary); the engine
turns each into a Synced=False condition with the problem's reason and message, an event, and a
retry delay. ``terminal`` problems wait for the spec to change instead of retrying.
"""

# Problems are named for what they are (Conflict, InvalidSpec), not with an Error suffix.
# ruff: noqa: N818

from __future__ import annotations


class Problem(Exception):
    """Base class: ``reason`` is the CamelCase Synced reason; the message says what to do."""

    reason = "ReconcileError"
    retry_after: float | None = 30.0
    terminal = False
    unready = False
    """Whether the problem also makes the resource not Ready (an account whose credentials
    fail, a resource in Conflict); otherwise Ready keeps what was last observed."""
    backoff = True
    """Whether repeated occurrences back off exponentially (calls to Databricks failed) or
    retry at a flat pace (waiting on Kubernetes objects costs nothing at Databricks)."""
    max_backoff: float | None = None
    """The longest a backed-off retry waits for this problem (None: the schedule's cap)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        if retry_after is not None:
            self.retry_after = retry_after


class ReferenceNotReady(Problem):
    """A referenced DatabricksAccount / NetworkConnectivityConfig is missing or not Ready yet."""

    reason = "ReferenceNotReady"
    retry_after = 5.0
    backoff = False


class Conflict(Problem):
    """Another resource already owns the same Databricks object (or workspace).

    ``foreign``: the id this resource recorded belongs to the other one; the engine removes it
    from status (a resource in Conflict records no foreign id, so nothing acts on it).
    """

    reason = "Conflict"
    retry_after = 60.0
    unready = True

    def __init__(
        self, message: str, *, retry_after: float | None = None, foreign: bool = False
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.foreign = foreign


class NotAllowed(Problem):
    """A cross-object rule forbids this (namespace not allowed, region mismatch, …)."""

    reason = "NotAllowed"
    retry_after = 120.0


class NamespaceNotAllowed(NotAllowed):
    """The referenced NCC's ``allowedRuleNamespaces`` does not admit this rule's namespace."""

    reason = "NamespaceNotAllowed"


class InvalidSpec(Problem):
    """Databricks rejected the request as invalid: nothing changes until the spec does."""

    reason = "InvalidSpec"
    retry_after = None
    terminal = True


class Transient(Problem):
    """Throttling, outages, timeouts: retry after a backoff (or the server's Retry-After)."""

    reason = "ReconcileError"


class AuthFailed(Problem):
    """Credentials rejected or not permitted: retry slowly; the account shows why."""

    reason = "AuthFailed"
    retry_after = 300.0


class Unexpected(Problem):
    """Anything that is not a classified problem: a bug, or a failure nobody foresaw.

    The engine is total: such an exception becomes Synced=False with its type and text, and
    is retried with backoff (never a traceback per tick).
    """

    reason = "ReconcileError"


class OutcomeUnknown(Problem):
    """A create may have happened: the next reconcile looks it up by natural key first."""

    reason = "CreateOutcomeUnknown"
    retry_after = 5.0
