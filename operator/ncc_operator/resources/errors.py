"""Databricks client errors → reconcile problems: the one boundary where they are classified.

The client already sorts every error into an :class:`~ncc_operator.databricks.ErrorKind`; here
each kind becomes the engine's :class:`~ncc_operator.reconcile.Problem` with a message that says
what went wrong at Databricks and what to do about it. Messages carry the Databricks error code
and text (never credentials: the client redacts them).
"""

from __future__ import annotations

from ncc_operator.databricks import (
    DatabricksError,
    ErrorKind,
    InvalidState,
    ResourceAlreadyExists,
    ResourceExhausted,
    classify,
)
from ncc_operator.reconcile import AuthFailed, InvalidSpec, OutcomeUnknown, Problem, Transient

DEFAULT_TRANSIENT_RETRY = 30.0


def problem_from(error: DatabricksError, *, doing: str) -> Problem:
    """Translate ``error`` raised while ``doing`` (e.g. "creating the rule") into a problem."""
    kind = classify(error)
    text = f"Databricks {doing} failed: {error}"
    if kind is ErrorKind.OUTCOME_UNKNOWN:
        return OutcomeUnknown(
            f"{text}. The request may have succeeded; the next attempt looks it up first, so "
            "nothing is duplicated."
        )
    if kind is ErrorKind.AUTH:
        return AuthFailed(
            f"{text}. Check the DatabricksAccount's credentials and that its service principal "
            "is an account admin."
        )
    if isinstance(error, ResourceExhausted) or error.error_code == "RESOURCE_EXHAUSTED":
        # Whatever its HTTP status (the Go SDK and Terraform retry it, we must not loop on it):
        # retried slowly, with backoff, and the message names the quotas.
        return Transient(
            f"{text}. A Databricks quota is reached (AWS: 10 NCCs per region, 30 private "
            "endpoints per region across its NCCs, 50 workspaces per NCC; see the message for "
            "which): delete unused objects or ask Databricks support to raise it. Retried every "
            "few minutes.",
            retry_after=300.0,
        )
    if isinstance(error, ResourceAlreadyExists):
        # A create raced with one we could not see yet: re-observe soon and adopt it.
        return Transient(f"{text}. Looking it up again.", retry_after=2.0)
    if kind is ErrorKind.TRANSIENT or isinstance(error, InvalidState):
        return Transient(
            f"{text}. Retrying.", retry_after=error.retry_after or DEFAULT_TRANSIENT_RETRY
        )
    return InvalidSpec(f"{text}. Fix the spec; nothing is retried until it changes.")
