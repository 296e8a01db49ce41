"""Failures on the credential path: rejected credentials vs. an IdP that is down, and bounded waits.

A rejection (``invalid_client``, a missing token file, an unknown account) is ``CredentialsError``
(kind ``auth``: "check your credentials"). A token or discovery endpoint that cannot be reached,
times out or answers 5xx/429 says nothing about the credentials: ``CredentialsUnavailable``
(kind ``transient``). Every wait on the SDK is bounded by ``auth_timeout_seconds``.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import (
    Credentials,
    CredentialsError,
    CredentialsUnavailable,
    DatabricksAccountClient,
    DatabricksError,
    ErrorKind,
    classify,
)
from ncc_operator.databricks.sdkcalls import running_sdk_calls

from .netfaults import IdpReply, StubIdp, black_hole, refused_port

ACCOUNT = "acc-netfaults"
SECRET = "s3cret-never-shown"
BOUND = 2.0
SLACK = 1.5
M2M = Credentials.oauth_m2m("sp", SECRET)


def _json(payload: object) -> bytes:
    return json.dumps(payload).encode()


async def _first_call(
    host: str, credentials: Credentials = M2M, account_id: str = ACCOUNT
) -> DatabricksError:
    """Connect and list; return the error raised by either step."""
    try:
        async with await DatabricksAccountClient.connect(
            host=host, account_id=account_id, credentials=credentials, auth_timeout_seconds=BOUND
        ) as client:
            await client.list_network_connectivity_configurations()
    except DatabricksError as error:
        return error
    raise AssertionError("the call succeeded")


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        pytest.param(
            IdpReply(500, _json({"error": "server_error", "error_description": "boom"})),
            ErrorKind.TRANSIENT,
            id="500-server-error-is-transient",
        ),
        pytest.param(
            IdpReply(503, b"<html>upstream unavailable</html>", "text/html"),
            ErrorKind.TRANSIENT,
            id="503-html-from-a-gateway-is-transient",
        ),
        pytest.param(IdpReply(502, b"", ""), ErrorKind.TRANSIENT, id="502-empty-is-transient"),
        pytest.param(
            IdpReply(429, _json({"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow"})),
            ErrorKind.TRANSIENT,
            id="429-platform-error-is-transient",
        ),
        pytest.param(
            IdpReply(401, _json({"error": "invalid_client", "error_description": "bad secret"})),
            ErrorKind.AUTH,
            id="401-invalid-client-is-a-rejection",
        ),
        pytest.param(
            IdpReply(400, _json({"error": "invalid_grant", "error_description": "bad token"})),
            ErrorKind.AUTH,
            id="400-invalid-grant-is-a-rejection",
        ),
    ],
)
async def test_token_endpoint_failures_are_classified(token: IdpReply, kind: ErrorKind) -> None:
    with StubIdp(token=token) as idp:
        error = await _first_call(idp.base_url)
    assert classify(error) is kind, str(error)
    # resources/ turns every CredentialsError into AuthFailed ("check your credentials").
    assert isinstance(error, CredentialsError) is (kind is ErrorKind.AUTH)
    assert SECRET not in str(error)
    assert "POST /token" in idp.requests  # the token endpoint really answered this


@pytest.mark.parametrize(
    ("discovery", "kind"),
    [
        pytest.param(
            IdpReply(500, _json({"error_code": "INTERNAL_ERROR", "message": "x"})),
            ErrorKind.TRANSIENT,
            id="discovery-500-is-transient",
        ),
        pytest.param(
            IdpReply(503, b"<html>down</html>", "text/html"),
            ErrorKind.TRANSIENT,
            id="discovery-503-is-transient",
        ),
        pytest.param(
            IdpReply(404, _json({"error_code": "NOT_FOUND", "message": "no such account"})),
            ErrorKind.AUTH,
            id="discovery-404-unknown-account-is-a-rejection",
        ),
    ],
)
async def test_discovery_failures_are_classified(discovery: IdpReply, kind: ErrorKind) -> None:
    with StubIdp(token=IdpReply(500), discovery=discovery) as idp:
        error = await _first_call(idp.base_url)
    assert classify(error) is kind, str(error)
    assert isinstance(error, CredentialsError) is (kind is ErrorKind.AUTH)


async def test_unreachable_account_host_fails_fast_and_transient() -> None:
    """Refused and black-holed hosts: connect gives up within the bound, not after ~360 s."""
    for label in ("refused", "black hole"):
        with black_hole() as hole:
            port = refused_port() if label == "refused" else hole
            started = time.monotonic()
            error = await _first_call(f"http://127.0.0.1:{port}")
            elapsed = time.monotonic() - started
        assert elapsed < BOUND + SLACK, (label, elapsed)
        assert isinstance(error, CredentialsUnavailable), (label, repr(error))
        assert classify(error) is ErrorKind.TRANSIENT
        assert SECRET not in str(error)


async def test_sdk_threads_end_after_the_bound_too() -> None:
    """The SDK's own discovery retries are bounded as well (it used a 300 s budget)."""
    started = time.monotonic()
    error = await _first_call(f"http://127.0.0.1:{refused_port()}")
    assert isinstance(error, CredentialsUnavailable)
    while running_sdk_calls() and time.monotonic() - started < 6 * BOUND:  # noqa: ASYNC110
        await asyncio.sleep(0.1)  # a gauge over threads: there is no event to wait on
    assert running_sdk_calls() == 0, "an SDK call kept retrying in the background"


async def test_token_endpoint_that_never_answers_is_bounded() -> None:
    """The SDK POSTs to the token endpoint without a timeout; our wait is bounded anyway."""
    with black_hole() as hole:
        discovery = StubIdp(token=IdpReply(500)).discovery_document()
        doc = json.loads(discovery.body)
        doc["token_endpoint"] = f"http://127.0.0.1:{hole}/token"
        with StubIdp(token=IdpReply(500), discovery=IdpReply(200, _json(doc))) as idp:
            started = time.monotonic()
            error = await _first_call(idp.base_url)
            elapsed = time.monotonic() - started
    assert elapsed < BOUND + SLACK, elapsed
    assert isinstance(error, CredentialsUnavailable), repr(error)


async def test_rejections_stay_credentials_errors(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The emulator's real rejections keep their ``auth`` kind."""
    for credentials in (
        Credentials.oauth_m2m(emulator.client_id, "wrong-secret-123"),
        Credentials.file_oidc("wif-sp", str(tmp_path / "missing-token")),
    ):
        error = await _first_call(emulator.base_url, credentials, emulator.account_id)
        assert isinstance(error, CredentialsError), repr(error)
        assert classify(error) is ErrorKind.AUTH
