"""The client's one error tree, how an HTTP error response becomes an exception, and classification.

Class names mirror databricks-sdk-py ``errors/platform.py`` (except ``ServerNotImplemented``, which
would otherwise shadow the ``NotImplemented`` builtin). Selection follows the SDK mapper
(databricks-api.md §11.2): the ``error_code`` table first, then the HTTP status table, then the
generic base. Bodies are parsed in the shapes of §11.1: standard JSON, legacy ``{"error": …}``,
empty body (message = HTTP reason) and plain ``ERROR_CODE: message`` text.

Besides API errors the tree holds transport failures (:class:`DatabricksConnectionError`),
credential rejections (:class:`CredentialsError`) apart from an unreachable identity provider
(:class:`CredentialsUnavailable`, a connection error), a client-side rate limit too low to ever
serve a call (:class:`ClientRateLimitTooLow`) and :class:`OutcomeUnknown`, raised when a
non-idempotent create may or may not have happened: the caller must look the resource up by its
natural key instead of re-sending. :func:`classify` turns any of them into one of four
:class:`ErrorKind` values so the operator decides once, not per call site.
"""

# Names mirror the SDK (``NotFound``, not ``NotFoundError``) so docs and code cross-read.
# ruff: noqa: N818

from __future__ import annotations

import json
import re
from enum import StrEnum
from http import HTTPStatus
from typing import Any

_REQUEST_INFO_TYPE = "type.googleapis.com/google.rpc.RequestInfo"
_PLAIN_TEXT_ERROR = re.compile(r"^([A-Z_]+): (.*)$", re.DOTALL)


class DatabricksError(Exception):
    """Base of every error this client raises.

    ``status_code`` is ``None`` when no HTTP response was received. ``retry_after`` is the delay
    the server asked for (``Retry-After`` on 429/503), in seconds, when it gave a usable one.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: str | None = None,
        status_code: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.status_code = status_code
        self.request_id = request_id
        self.retry_after = retry_after
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        code = f"{self.error_code}: " if self.error_code else ""
        status = f" (HTTP {self.status_code})" if self.status_code is not None else ""
        return f"{where}{code}{self.message}{status}"


class BadRequest(DatabricksError):
    """HTTP 400."""


class InvalidParameterValue(BadRequest):
    """``INVALID_PARAMETER_VALUE``: the request itself is wrong; terminal until it changes."""


class InvalidState(BadRequest):
    """``INVALID_STATE``: e.g. an NCC that still has rules or attached workspaces."""


class Unauthenticated(DatabricksError):
    """HTTP 401: missing, expired or invalid credentials."""


class PermissionDenied(DatabricksError):
    """HTTP 403: the principal is not allowed (e.g. not an account admin)."""


class NotFound(DatabricksError):
    """HTTP 404."""


class ResourceDoesNotExist(NotFound):
    """``RESOURCE_DOES_NOT_EXIST``."""


class ResourceConflict(DatabricksError):
    """HTTP 409."""


class Aborted(ResourceConflict):
    """``ABORTED``."""


class AlreadyExists(ResourceConflict):
    """``ALREADY_EXISTS``."""


class ResourceAlreadyExists(ResourceConflict):
    """``RESOURCE_ALREADY_EXISTS``: e.g. a duplicate private endpoint rule."""


class TooManyRequests(DatabricksError):
    """HTTP 429: throttled; the request was rejected before processing."""


class ResourceExhausted(TooManyRequests):
    """``RESOURCE_EXHAUSTED``: a quota is used up (may arrive with HTTP 400)."""


class RequestLimitExceeded(TooManyRequests):
    """``REQUEST_LIMIT_EXCEEDED``."""


class Cancelled(DatabricksError):
    """HTTP 499."""


class InternalError(DatabricksError):
    """HTTP 500."""


class Unknown(InternalError):
    """``UNKNOWN``."""


class DataLoss(InternalError):
    """``DATA_LOSS``."""


class ServerNotImplemented(DatabricksError):
    """HTTP 501 (the SDK's ``NotImplemented``)."""


class TemporarilyUnavailable(DatabricksError):
    """HTTP 503."""


class DeadlineExceeded(DatabricksError):
    """HTTP 504."""


class DatabricksConnectionError(DatabricksError):
    """No HTTP response was received (connection refused, reset, timed out)."""


class CredentialsError(DatabricksError):
    """The credentials were rejected or cannot work as configured (kind ``auth``).

    E.g. ``invalid_client`` / ``invalid_grant`` from the token endpoint, a missing token file, an
    account the discovery endpoint does not know, a token for another audience.
    """


class CredentialsUnavailable(DatabricksConnectionError):
    """No credential verdict: the token or discovery endpoint was unreachable, timed out or
    answered 5xx/429 (kind ``transient``; deliberately *not* a :class:`CredentialsError`)."""


class ClientRateLimitTooLow(DatabricksError):
    """The account's client-side rate limit would park this call past its deadline.

    Raised instead of sleeping (``rateLimit.requestsPerSecond: 1e-9`` would wait for decades);
    kind ``transient``, but nothing improves until the rate limit is raised.
    """


class OutcomeUnknown(DatabricksError):
    """A non-idempotent request (create) was sent but its outcome cannot be known.

    Never re-send it: look the resource up by its natural key, and create only if it is absent.
    """


ERROR_CODE_MAPPING: dict[str, type[DatabricksError]] = {
    "INVALID_STATE": InvalidState,
    "INVALID_PARAMETER_VALUE": InvalidParameterValue,
    "RESOURCE_DOES_NOT_EXIST": ResourceDoesNotExist,
    "ABORTED": Aborted,
    "ALREADY_EXISTS": AlreadyExists,
    "RESOURCE_ALREADY_EXISTS": ResourceAlreadyExists,
    "RESOURCE_EXHAUSTED": ResourceExhausted,
    "REQUEST_LIMIT_EXCEEDED": RequestLimitExceeded,
    "UNKNOWN": Unknown,
    "DATA_LOSS": DataLoss,
}

STATUS_CODE_MAPPING: dict[int, type[DatabricksError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: ResourceConflict,
    429: TooManyRequests,
    499: Cancelled,
    500: InternalError,
    501: ServerNotImplemented,
    503: TemporarilyUnavailable,
    504: DeadlineExceeded,
}


def parse_error_body(status_code: int, body: bytes) -> tuple[str | None, str, str | None]:
    """``(error_code, message, request_id)`` from an error response body of any §11.1 shape."""
    reason = _reason(status_code)
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return None, reason, None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        # RecursionError: JSON nested deeper than the parser's stack (a broken proxy's body);
        # it is an unparsable body like any other, never an exception out of error handling.
        match = _PLAIN_TEXT_ERROR.match(text)
        if match:
            return match.group(1), match.group(2), None
        return None, text[:500], None
    if not isinstance(payload, dict):
        return None, text[:500], None
    code = payload.get("error_code")
    message = payload.get("message") or payload.get("error") or reason
    return (
        code if isinstance(code, str) else None,
        str(message),
        _request_id(payload.get("details")),
    )


def _reason(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return f"HTTP {status_code}"


def _request_id(details: Any) -> str | None:
    if not isinstance(details, list):
        return None
    for detail in details:
        if isinstance(detail, dict) and detail.get("@type") == _REQUEST_INFO_TYPE:
            request_id = detail.get("request_id")
            return str(request_id) if request_id else None
    return None


def error_from_response(
    status_code: int,
    body: bytes,
    *,
    retry_after: float | None = None,
    method: str | None = None,
    path: str | None = None,
) -> DatabricksError:
    """The exception for an HTTP error response: ``error_code`` first, then the status."""
    error_code, message, request_id = parse_error_body(status_code, body)
    cls = ERROR_CODE_MAPPING.get(error_code or "") or STATUS_CODE_MAPPING.get(
        status_code, DatabricksError
    )
    return cls(
        message,
        error_code=error_code,
        status_code=status_code,
        request_id=request_id,
        retry_after=retry_after,
        method=method,
        path=path,
    )


class ErrorKind(StrEnum):
    """What a caller should do about an error."""

    TERMINAL = "terminal"
    """The request is wrong or conflicts with reality; retrying the same thing will not help."""
    TRANSIENT = "transient"
    """Retry later with backoff (honor ``retry_after`` when set)."""
    AUTH = "auth"
    """Credentials or permissions are wrong; retry slowly and tell the account owner."""
    OUTCOME_UNKNOWN = "outcome_unknown"
    """A create may have happened: look it up by natural key before anything else."""


# Checked in order, so a subclass listed before its parent wins.
_KINDS: tuple[tuple[type[DatabricksError], ErrorKind], ...] = (
    (OutcomeUnknown, ErrorKind.OUTCOME_UNKNOWN),
    (CredentialsError, ErrorKind.AUTH),
    (Unauthenticated, ErrorKind.AUTH),
    (PermissionDenied, ErrorKind.AUTH),
    # A quota frees up when something else is deleted, and an NCC delete blocked by dependents
    # succeeds once they are gone: neither is fixed by changing the request.
    (ResourceExhausted, ErrorKind.TRANSIENT),
    (InvalidState, ErrorKind.TRANSIENT),
    (TooManyRequests, ErrorKind.TRANSIENT),
    (InternalError, ErrorKind.TRANSIENT),
    (TemporarilyUnavailable, ErrorKind.TRANSIENT),
    (DeadlineExceeded, ErrorKind.TRANSIENT),
    (Cancelled, ErrorKind.TRANSIENT),
    (DatabricksConnectionError, ErrorKind.TRANSIENT),  # includes CredentialsUnavailable
    (ClientRateLimitTooLow, ErrorKind.TRANSIENT),
)


def classify(error: BaseException) -> ErrorKind:
    """One classification for every error; anything not listed above is terminal."""
    for cls, kind in _KINDS:
        if isinstance(error, cls):
            return kind
    if isinstance(error, DatabricksError) and (error.status_code or 0) >= 500:
        return ErrorKind.TRANSIENT
    return ErrorKind.TERMINAL


def is_retryable(error: BaseException) -> bool:
    """True when re-sending the same request later may succeed (transient errors only)."""
    return classify(error) is ErrorKind.TRANSIENT
