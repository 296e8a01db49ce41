"""``problem_from``: each error class of the Databricks client → its engine problem, a row each.

This is the one place a Databricks failure is classified (DESIGN §3 "Errors are classified
once"). Each row builds the error as the client raises it (the status and ``error_code`` the
response mapper gives that class), and pins the problem class, its Synced reason, whether it is
terminal, the retry delay and the remedy the message names. A class added to the client without
a row here fails :func:`test_every_client_error_class_has_a_row`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ncc_operator.databricks import errors as dbx
from ncc_operator.reconcile import (
    AuthFailed,
    InvalidSpec,
    OutcomeUnknown,
    Problem,
    Transient,
)
from ncc_operator.resources.errors import DEFAULT_TRANSIENT_RETRY, problem_from

# The remedies the messages name, as users read them in Synced=False.
FIX_SPEC = "Fix the spec; nothing is retried until it changes."
CHECK_CREDENTIALS = "Check the DatabricksAccount's credentials"
RETRYING = ". Retrying."
QUOTA = "A Databricks quota is reached"
LOOK_AGAIN = "Looking it up again."
MAY_HAVE_SUCCEEDED = "The request may have succeeded; the next attempt looks it up first"


@dataclass(frozen=True)
class Row:
    error: dbx.DatabricksError
    problem: type[Problem]
    reason: str
    retry_after: float | None
    remedy: str
    why: str

    @property
    def terminal(self) -> bool:
        return self.problem is InvalidSpec


def http(
    cls: type[dbx.DatabricksError],
    status: int | None,
    code: str | None = None,
    *,
    retry_after: float | None = None,
) -> dbx.DatabricksError:
    return cls(
        f"the {cls.__name__} message",
        error_code=code,
        status_code=status,
        retry_after=retry_after,
        method="PATCH",
        path="/api/2.0/accounts/a/network-connectivity-configs/n",
    )


T = DEFAULT_TRANSIENT_RETRY
ROWS: dict[str, Row] = {
    # The base class itself: a 4xx the mapper knows no class for (e.g. 412).
    "DatabricksError": Row(
        http(dbx.DatabricksError, 412, "FAILED_PRECONDITION"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "an unmapped 4xx is the request's fault: retrying the same request cannot help",
    ),
    "BadRequest": Row(
        http(dbx.BadRequest, 400, "BAD_REQUEST"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "HTTP 400 without a known code: invalid input, terminal until the spec changes",
    ),
    "InvalidParameterValue": Row(
        http(dbx.InvalidParameterValue, 400, "INVALID_PARAMETER_VALUE"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "DESIGN §3: INVALID_PARAMETER_VALUE is terminal until the spec changes",
    ),
    "InvalidState": Row(
        http(dbx.InvalidState, 400, "INVALID_STATE"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "an NCC with dependents becomes deletable once they are gone: retried, not terminal",
    ),
    "Unauthenticated": Row(
        http(dbx.Unauthenticated, 401, "UNAUTHENTICATED"),
        AuthFailed,
        "AuthFailed",
        300.0,
        CHECK_CREDENTIALS,
        "credentials: long retry, the account shows why",
    ),
    "PermissionDenied": Row(
        http(dbx.PermissionDenied, 403, "PERMISSION_DENIED"),
        AuthFailed,
        "AuthFailed",
        300.0,
        "is an account admin",
        "a principal that is not an account admin: the message says what to grant",
    ),
    "NotFound": Row(
        http(dbx.NotFound, 404, "NOT_FOUND"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "a 404 outside the paths that expect one (observe, delete) names an id that is wrong",
    ),
    "ResourceDoesNotExist": Row(
        http(dbx.ResourceDoesNotExist, 404, "RESOURCE_DOES_NOT_EXIST"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "as NotFound: the SDK's code for the same status",
    ),
    "ResourceConflict": Row(
        http(dbx.ResourceConflict, 409, "RESOURCE_CONFLICT"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "a 409 without a known code is not retried blindly",
    ),
    "Aborted": Row(
        http(dbx.Aborted, 409, "ABORTED"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "ABORTED is a ResourceConflict to the SDK and to classify(): terminal",
    ),
    "AlreadyExists": Row(
        http(dbx.AlreadyExists, 409, "ALREADY_EXISTS"),
        InvalidSpec,
        "InvalidSpec",
        None,
        FIX_SPEC,
        "only RESOURCE_ALREADY_EXISTS means 'a create raced'; ALREADY_EXISTS is terminal",
    ),
    "ResourceAlreadyExists": Row(
        http(dbx.ResourceAlreadyExists, 409, "RESOURCE_ALREADY_EXISTS"),
        Transient,
        "ReconcileError",
        2.0,
        LOOK_AGAIN,
        "a create raced with one not visible yet: re-observe within seconds and adopt it",
    ),
    "TooManyRequests": Row(
        http(dbx.TooManyRequests, 429, "TOO_MANY_REQUESTS", retry_after=7.0),
        Transient,
        "ReconcileError",
        7.0,
        RETRYING,
        "throttled: the server's Retry-After is the delay",
    ),
    "ResourceExhausted": Row(
        http(dbx.ResourceExhausted, 429, "RESOURCE_EXHAUSTED", retry_after=1.0),
        Transient,
        "ReconcileError",
        300.0,
        QUOTA,
        "a quota is not throttling: retried every few minutes whatever Retry-After says",
    ),
    "RequestLimitExceeded": Row(
        http(dbx.RequestLimitExceeded, 429, "REQUEST_LIMIT_EXCEEDED"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "a 429 without Retry-After: the default transient delay",
    ),
    "Cancelled": Row(
        http(dbx.Cancelled, 499, "CANCELLED"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "the request was cancelled, not refused: the same request may succeed",
    ),
    "InternalError": Row(
        http(dbx.InternalError, 500, "INTERNAL_ERROR"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "DESIGN §3: 5xx backs off and retries",
    ),
    "Unknown": Row(
        http(dbx.Unknown, 500, "UNKNOWN"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "UNKNOWN is an InternalError to the SDK",
    ),
    "DataLoss": Row(
        http(dbx.DataLoss, 500, "DATA_LOSS"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "DATA_LOSS is an InternalError to the SDK",
    ),
    "ServerNotImplemented": Row(
        http(dbx.ServerNotImplemented, 501, "NOT_IMPLEMENTED"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "any 5xx is the server's fault (classify: status >= 500), although the client does "
        "not re-send a 501 within the call",
    ),
    "TemporarilyUnavailable": Row(
        http(dbx.TemporarilyUnavailable, 503, "TEMPORARILY_UNAVAILABLE", retry_after=12.0),
        Transient,
        "ReconcileError",
        12.0,
        RETRYING,
        "503 honours Retry-After",
    ),
    "DeadlineExceeded": Row(
        http(dbx.DeadlineExceeded, 504, "DEADLINE_EXCEEDED"),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "a gateway timeout on an idempotent call: retry",
    ),
    "DatabricksConnectionError": Row(
        http(dbx.DatabricksConnectionError, None),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "no response at all on an idempotent call: retry",
    ),
    "CredentialsError": Row(
        http(dbx.CredentialsError, 401, "invalid_client"),
        AuthFailed,
        "AuthFailed",
        300.0,
        CHECK_CREDENTIALS,
        "the token endpoint rejected the credentials",
    ),
    "CredentialsUnavailable": Row(
        http(dbx.CredentialsUnavailable, None),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "an unreachable identity provider is no verdict on the credentials: not AuthFailed",
    ),
    "ClientRateLimitTooLow": Row(
        http(dbx.ClientRateLimitTooLow, None),
        Transient,
        "ReconcileError",
        T,
        RETRYING,
        "the account's own rate limit: nothing is wrong with the request",
    ),
    "OutcomeUnknown": Row(
        http(dbx.OutcomeUnknown, None),
        OutcomeUnknown,
        "CreateOutcomeUnknown",
        5.0,
        MAY_HAVE_SUCCEEDED,
        "a create that may have happened: look it up by natural key, never re-send",
    ),
}

# Not a class of its own: the code decides whatever class and status it came with (Databricks
# answers a used-up quota with HTTP 400 too, databricks-api.md corrections).
EXTRA: dict[str, Row] = {
    "quota-as-400": Row(
        http(dbx.BadRequest, 400, "RESOURCE_EXHAUSTED"),
        Transient,
        "ReconcileError",
        300.0,
        QUOTA,
        "RESOURCE_EXHAUSTED on a 400 is still a quota, not invalid input",
    ),
    "invalid-state-with-retry-after": Row(
        http(dbx.InvalidState, 400, "INVALID_STATE", retry_after=4.0),
        Transient,
        "ReconcileError",
        4.0,
        RETRYING,
        "a server-given delay wins over the default for retried 4xx too",
    ),
}


def all_error_classes() -> set[type[dbx.DatabricksError]]:
    found: set[type[dbx.DatabricksError]] = set()
    todo = [dbx.DatabricksError]
    while todo:
        cls = todo.pop()
        if cls.__module__ == dbx.__name__ and cls not in found:
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return found


def test_every_client_error_class_has_a_row() -> None:
    names = {cls.__name__ for cls in all_error_classes()}
    assert names == set(ROWS), (
        f"missing rows: {sorted(names - set(ROWS))}; stale rows: {sorted(set(ROWS) - names)}"
    )
    for name, row in ROWS.items():
        assert type(row.error).__name__ == name, f"row {name} builds a {type(row.error)}"


@pytest.mark.parametrize("row", [pytest.param(r, id=n) for n, r in {**ROWS, **EXTRA}.items()])
def test_problem_from(row: Row) -> None:
    problem = problem_from(row.error, doing="attaching workspace 1111")
    assert type(problem) is row.problem, row.why
    assert (problem.reason, problem.retry_after, problem.terminal) == (
        row.reason,
        row.retry_after,
        row.terminal,
    ), row.why
    # What failed, where, with Databricks' own code and text, then what to do about it.
    assert problem.message.startswith(f"Databricks attaching workspace 1111 failed: {row.error}")
    assert row.remedy in problem.message, row.why
    assert str(problem) == problem.message
