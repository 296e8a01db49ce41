"""Databricks-shaped errors: the exception the emulator raises and the JSON body it answers with.

The official SDK classifies some errors by ``error_code`` and others purely by HTTP status
(``PERMISSION_DENIED``, ``NOT_FOUND``, ``UNAUTHENTICATED`` … are not in its code table), so every
constructor here pairs a code with the status the real service uses for it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

REQUEST_INFO_TYPE = "type.googleapis.com/google.rpc.RequestInfo"


class ApiError(Exception):
    """An API failure rendered as ``{"error_code", "message", "details"}`` with ``status``."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


def invalid_parameter(message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def invalid_state(message: str) -> ApiError:
    return ApiError(400, "INVALID_STATE", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", message)


def already_exists(message: str) -> ApiError:
    return ApiError(409, "RESOURCE_ALREADY_EXISTS", message)


def quota_exceeded(message: str) -> ApiError:
    # Status 400 (not 429): a quota does not go away by retrying, and the SDK retries every 429.
    return ApiError(400, "RESOURCE_EXHAUSTED", message)


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", message)


def permission_denied(message: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", message)


def new_request_id() -> str:
    return str(uuid.uuid4())


def error_body(error_code: str, message: str, request_id: str) -> dict[str, Any]:
    return {
        "error_code": error_code,
        "message": message,
        "details": [{"@type": REQUEST_INFO_TYPE, "request_id": request_id, "serving_data": ""}],
    }


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Every answer is JSON with an explicit Content-Type: the SDK token client reads it blindly."""
    return web.Response(
        text=json.dumps(payload),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def error_response(
    err: ApiError, request_id: str, headers: dict[str, str] | None = None
) -> web.Response:
    return json_response(error_body(err.error_code, err.message, request_id), err.status, headers)


def oauth_error(status: int, error: str, description: str) -> web.Response:
    """RFC 6749 error JSON, which is what the SDK's token client parses (``error_description``)."""
    return json_response({"error": error, "error_description": description}, status)
