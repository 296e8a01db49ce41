"""What every route module shares: the app key that holds the :class:`~.state.Emulator`, and
request-body parsing with Databricks' error for a malformed body."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import invalid_parameter
from .state import Emulator

EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator", Emulator)


def emulator(request: web.Request) -> Emulator:
    return request.app[EMULATOR]


async def read_body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise invalid_parameter(f"Malformed JSON request body: {exc}") from exc
    if not isinstance(body, dict):
        raise invalid_parameter("Request body must be a JSON object.")
    return body
