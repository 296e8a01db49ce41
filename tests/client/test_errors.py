"""Error mapping (error_code first, then HTTP status), body shapes, and classification."""

from __future__ import annotations

import json

import pytest

from ncc_operator.databricks import errors as e

RI = {"@type": "type.googleapis.com/google.rpc.RequestInfo", "request_id": "req-42"}


def _json(code: str | None, message: str = "boom", **extra: object) -> bytes:
    body: dict[str, object] = {"message": message, **extra}
    if code is not None:
        body["error_code"] = code
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(
            400, _json("INVALID_PARAMETER_VALUE"), e.InvalidParameterValue, id="code-invalid-param"
        ),
        pytest.param(
            400, _json("INVALID_STATE"), e.InvalidState, id="code-invalid-state-ncc-delete-blocked"
        ),
        pytest.param(
            404, _json("RESOURCE_DOES_NOT_EXIST"), e.ResourceDoesNotExist, id="code-does-not-exist"
        ),
        pytest.param(
            409, _json("RESOURCE_ALREADY_EXISTS"), e.ResourceAlreadyExists, id="code-duplicate-rule"
        ),
        pytest.param(409, _json("ALREADY_EXISTS"), e.AlreadyExists, id="code-already-exists"),
        pytest.param(409, _json("ABORTED"), e.Aborted, id="code-aborted"),
        pytest.param(
            400, _json("RESOURCE_EXHAUSTED"), e.ResourceExhausted, id="code-wins-over-400-quota"
        ),
        pytest.param(
            429, _json("REQUEST_LIMIT_EXCEEDED"), e.RequestLimitExceeded, id="code-request-limit"
        ),
        pytest.param(500, _json("UNKNOWN"), e.Unknown, id="code-unknown"),
        pytest.param(500, _json("DATA_LOSS"), e.DataLoss, id="code-data-loss"),
        pytest.param(
            403, _json("PERMISSION_DENIED"), e.PermissionDenied, id="status-only-code-403"
        ),
        pytest.param(404, _json("NOT_FOUND"), e.NotFound, id="status-only-code-404"),
        pytest.param(401, _json("UNAUTHENTICATED"), e.Unauthenticated, id="status-401"),
        pytest.param(400, _json("BAD_REQUEST"), e.BadRequest, id="status-400"),
        pytest.param(409, _json(None), e.ResourceConflict, id="status-409-no-code"),
        pytest.param(429, _json("TOO_MANY_REQUESTS"), e.TooManyRequests, id="status-429"),
        pytest.param(499, _json(None), e.Cancelled, id="status-499"),
        pytest.param(500, _json(None), e.InternalError, id="status-500"),
        pytest.param(501, _json(None), e.ServerNotImplemented, id="status-501"),
        pytest.param(
            503, _json("TEMPORARILY_UNAVAILABLE"), e.TemporarilyUnavailable, id="status-503"
        ),
        pytest.param(504, _json(None), e.DeadlineExceeded, id="status-504"),
        pytest.param(418, _json("WHATEVER"), e.DatabricksError, id="unmapped-status-generic"),
        pytest.param(
            400, _json("SOME_NEW_CODE"), e.BadRequest, id="unknown-code-falls-back-to-status"
        ),
    ],
)
def test_error_class_is_chosen_by_code_then_status(
    status: int, body: bytes, expected: type[e.DatabricksError]
) -> None:
    error = e.error_from_response(status, body)
    assert type(error) is expected
    assert error.status_code == status


@pytest.mark.parametrize(
    ("status", "body", "code", "message", "request_id"),
    [
        pytest.param(
            400,
            _json("INVALID_STATE", "in use", details=[RI]),
            "INVALID_STATE",
            "in use",
            "req-42",
            id="standard-json-with-request-info",
        ),
        pytest.param(
            400, b'{"error": "legacy failure"}', None, "legacy failure", None, id="legacy-error-key"
        ),
        pytest.param(503, b"", None, "Service Unavailable", None, id="empty-body-uses-reason"),
        pytest.param(
            400,
            b"INVALID_STATE: plain text",
            "INVALID_STATE",
            "plain text",
            None,
            id="plain-text-code-message",
        ),
        pytest.param(
            502,
            b"<html>bad gateway</html>",
            None,
            "<html>bad gateway</html>",
            None,
            id="unparseable-text-kept",
        ),
        pytest.param(400, b"[1, 2]", None, "[1, 2]", None, id="json-but-not-object"),
        pytest.param(
            400,
            _json("X", details=[{"@type": "other"}]),
            "X",
            "boom",
            None,
            id="details-without-request-info",
        ),
    ],
)
def test_error_body_shapes(
    status: int, body: bytes, code: str | None, message: str, request_id: str | None
) -> None:
    assert e.parse_error_body(status, body) == (code, message, request_id)


def test_plain_text_code_selects_class() -> None:
    # The SDK's string deserializer feeds error_code into the same mapping.
    assert isinstance(e.error_from_response(400, b"INVALID_STATE: busy"), e.InvalidState)


def test_error_str_names_request_code_and_status() -> None:
    error = e.error_from_response(
        404, _json("RESOURCE_DOES_NOT_EXIST", "no such rule"), method="GET", path="/p/{id}"
    )
    assert str(error) == "GET /p/{id}: RESOURCE_DOES_NOT_EXIST: no such rule (HTTP 404)"


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        pytest.param(
            e.InvalidParameterValue("x", status_code=400),
            e.ErrorKind.TERMINAL,
            id="invalid-input-terminal",
        ),
        pytest.param(
            e.BadRequest("x", status_code=400), e.ErrorKind.TERMINAL, id="bad-request-terminal"
        ),
        pytest.param(
            e.NotFound("x", status_code=404), e.ErrorKind.TERMINAL, id="not-found-terminal"
        ),
        pytest.param(
            e.ResourceAlreadyExists("x", status_code=409),
            e.ErrorKind.TERMINAL,
            id="conflict-terminal",
        ),
        pytest.param(
            e.InvalidState("x", status_code=400),
            e.ErrorKind.TRANSIENT,
            id="delete-blocked-clears-when-dependents-go",
        ),
        pytest.param(
            e.ResourceExhausted("x", status_code=400), e.ErrorKind.TRANSIENT, id="quota-frees-up"
        ),
        pytest.param(
            e.TooManyRequests("x", status_code=429), e.ErrorKind.TRANSIENT, id="throttled"
        ),
        pytest.param(
            e.InternalError("x", status_code=500), e.ErrorKind.TRANSIENT, id="server-error"
        ),
        pytest.param(
            e.DatabricksError("x", status_code=502), e.ErrorKind.TRANSIENT, id="unmapped-5xx"
        ),
        pytest.param(
            e.TemporarilyUnavailable("x", status_code=503), e.ErrorKind.TRANSIENT, id="unavailable"
        ),
        pytest.param(
            e.DeadlineExceeded("x", status_code=504), e.ErrorKind.TRANSIENT, id="gateway-timeout"
        ),
        pytest.param(e.DatabricksConnectionError("x"), e.ErrorKind.TRANSIENT, id="no-connection"),
        pytest.param(e.Unauthenticated("x", status_code=401), e.ErrorKind.AUTH, id="bad-token"),
        pytest.param(e.PermissionDenied("x", status_code=403), e.ErrorKind.AUTH, id="not-admin"),
        pytest.param(e.CredentialsError("x"), e.ErrorKind.AUTH, id="token-exchange-failed"),
        pytest.param(
            e.OutcomeUnknown("x"), e.ErrorKind.OUTCOME_UNKNOWN, id="create-outcome-unknown"
        ),
        pytest.param(ValueError("x"), e.ErrorKind.TERMINAL, id="foreign-exception-terminal"),
    ],
)
def test_classification(error: BaseException, kind: e.ErrorKind) -> None:
    assert e.classify(error) is kind
    assert e.is_retryable(error) is (kind is e.ErrorKind.TRANSIENT)
