"""Discovery, token endpoints (client credentials, token exchange, Entra ID) and bearer checks."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ncc_emulator.testing import RunningEmulator, TestIssuer

from .conftest import Api, assert_error, fetch_token

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
SUBJECT = "system:serviceaccount:ncc-system:ncc-operator"


def _token_url(run: RunningEmulator) -> str:
    return f"{run.base_url}/oidc/accounts/{run.account_id}/v1/token"


def test_host_metadata_points_at_account_oidc(emulator: RunningEmulator) -> None:
    meta = httpx.get(f"{emulator.base_url}/.well-known/databricks-config").json()
    assert meta == {
        "oidc_endpoint": f"{emulator.base_url}/oidc/accounts/{{account_id}}",
        "account_id": emulator.account_id,
        "cloud": "azure",
    }


@pytest.mark.parametrize(
    ("path", "token_path", "reason"),
    [
        (
            "/oidc/accounts/{a}/.well-known/oauth-authorization-server",
            "/oidc/accounts/{a}/v1/token",
            "account discovery (new SDK via host metadata, old SDK on accounts hosts)",
        ),
        (
            "/oidc/.well-known/oauth-authorization-server",
            "/oidc/v1/token",
            "host discovery (Go / old SDK on non-accounts hosts)",
        ),
    ],
)
def test_discovery_documents(
    emulator: RunningEmulator, path: str, token_path: str, reason: str
) -> None:
    response = httpx.get(emulator.base_url + path.format(a=emulator.account_id))
    assert response.headers["Content-Type"].startswith("application/json")
    doc = response.json()
    assert doc["token_endpoint"] == emulator.base_url + token_path.format(a=emulator.account_id)
    assert {"issuer", "authorization_endpoint"} <= set(doc)


def test_discovery_for_unknown_account_is_404(emulator: RunningEmulator) -> None:
    url = f"{emulator.base_url}/oidc/accounts/other/.well-known/oauth-authorization-server"
    assert httpx.get(url).status_code == 404


def test_client_credentials_token_shape(emulator: RunningEmulator) -> None:
    response = httpx.post(
        _token_url(emulator),
        data={"grant_type": "client_credentials", "scope": "all-apis"},
        auth=(emulator.client_id, emulator.client_secret),
    )
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int)
    assert body["access_token"]


@pytest.mark.parametrize(
    ("data", "basic", "status", "error"),
    [
        pytest.param(
            {"grant_type": "client_credentials"},
            ("ID", "wrong"),
            401,
            "invalid_client",
            id="wrong secret",
        ),
        pytest.param(
            {"grant_type": "client_credentials"},
            ("nobody", "SECRET"),
            401,
            "invalid_client",
            id="unknown client",
        ),
        pytest.param(
            {"grant_type": "client_credentials"}, None, 401, "invalid_client", id="no credentials"
        ),
        pytest.param(
            {"grant_type": "password"},
            ("ID", "SECRET"),
            400,
            "unsupported_grant_type",
            id="grant not supported",
        ),
        pytest.param({"grant_type": EXCHANGE}, None, 400, "invalid_request", id="no subject token"),
    ],
)
def test_token_endpoint_refusals(
    emulator: RunningEmulator,
    data: dict[str, str],
    basic: tuple[str, str] | None,
    status: int,
    error: str,
) -> None:
    auth = None
    if basic:
        swap = {"ID": emulator.client_id, "SECRET": emulator.client_secret}
        auth = (swap.get(basic[0], basic[0]), swap.get(basic[1], basic[1]))
    response = httpx.post(_token_url(emulator), data=data, auth=auth)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["error"] == error
    assert emulator.client_secret not in response.text


def test_client_secret_in_form_is_accepted(emulator: RunningEmulator) -> None:
    data = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
    }
    assert httpx.post(_token_url(emulator), data=data).status_code == 200


def _exchange(run: RunningEmulator, jwt_text: str, client_id: str | None) -> httpx.Response:
    data = {
        "grant_type": EXCHANGE,
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
        "subject_token": jwt_text,
        "scope": "all-apis",
    }
    if client_id:
        data["client_id"] = client_id
    return httpx.post(_token_url(run), data=data)


ISSUER = TestIssuer()
OTHER_KEY = TestIssuer()


@pytest.mark.parametrize(
    ("policy_client", "token_kwargs", "client", "ok"),
    [
        pytest.param("sp-1", {}, "sp-1", True, id="workload identity federation"),
        pytest.param(None, {}, None, True, id="account-wide federation (no client_id)"),
        pytest.param("sp-1", {}, None, False, id="SP policy does not serve account-wide exchange"),
        pytest.param("sp-1", {}, "sp-2", False, id="no policy for that client"),
        pytest.param("sp-1", {"audience": "someone-else"}, "sp-1", False, id="wrong audience"),
        pytest.param("sp-1", {"issuer": "https://evil"}, "sp-1", False, id="wrong issuer"),
        pytest.param(
            "sp-1", {"subject": "system:serviceaccount:x:y"}, "sp-1", False, id="wrong subject"
        ),
        pytest.param("sp-1", {"lifetime": -60}, "sp-1", False, id="expired"),
        pytest.param("sp-1", {"foreign_key": True}, "sp-1", False, id="signed by another key"),
    ],
)
def test_token_exchange(
    emulator: RunningEmulator,
    policy_client: str | None,
    token_kwargs: dict[str, Any],
    client: str | None,
    ok: bool,
) -> None:
    emulator.admin.add_federation_policy(
        ISSUER.issuer, SUBJECT, json.dumps(ISSUER.jwks()), client_id=policy_client
    )
    subject = token_kwargs.pop("subject", SUBJECT)
    audience = token_kwargs.pop("audience", emulator.account_id)  # default policy audience
    key = OTHER_KEY._key if token_kwargs.pop("foreign_key", False) else None
    jwt_text = ISSUER.token(subject, audience, key=key, **token_kwargs)
    response = _exchange(emulator, jwt_text, client)
    assert response.status_code == (200 if ok else 400), response.text
    if ok:
        token = response.json()["access_token"]
        url = f"{emulator.base_url}/api/2.0/accounts/{emulator.account_id}/workspaces"
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    else:
        assert response.json()["error"] in {"invalid_grant", "invalid_request"}


def _get(run: RunningEmulator, headers: dict[str, str], account: str | None = None) -> Any:
    url = (
        f"{run.base_url}/api/2.0/accounts/{account or run.account_id}/network-connectivity-configs"
    )
    return httpx.get(url, headers=headers)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no Authorization header"),
        ({"Authorization": "Bearer not-a-token"}, "unknown token"),
        ({"Authorization": "Basic abc"}, "wrong scheme"),
    ],
)
def test_api_requires_bearer(
    emulator: RunningEmulator, headers: dict[str, str], reason: str
) -> None:
    assert_error(_get(emulator, headers), 401, "UNAUTHENTICATED")


def test_expired_token_is_401(emulator_factory: Any) -> None:
    run = emulator_factory(token_expires_in=0)
    response = _get(run, {"Authorization": f"Bearer {fetch_token(run)}"})
    assert_error(response, 401, "UNAUTHENTICATED", "expired")


def test_non_admin_principal_is_403(emulator: RunningEmulator) -> None:
    emulator.admin.add_principal("reader", "reader-secret", admin=False)
    response = httpx.post(
        _token_url(emulator), data={"grant_type": "client_credentials"}, auth=("reader", "pw")
    )
    assert response.status_code == 401  # wrong secret for the new principal
    token = httpx.post(
        _token_url(emulator),
        data={"grant_type": "client_credentials"},
        auth=("reader", "reader-secret"),
    ).json()["access_token"]
    assert_error(_get(emulator, {"Authorization": f"Bearer {token}"}), 403, "PERMISSION_DENIED")


@pytest.mark.parametrize(("admin", "status"), [(True, 200), (False, 403)])
def test_pats(emulator: RunningEmulator, admin: bool, status: int) -> None:
    emulator.admin.add_pat("dapi-test-token", admin=admin)
    assert _get(emulator, {"Authorization": "Bearer dapi-test-token"}).status_code == status


def test_unknown_account_is_404(api: Api) -> None:
    response = _get(api.run, dict(api.http.headers), account="another-account")
    assert_error(response, 404, "RESOURCE_DOES_NOT_EXIST", "another-account")


def test_entra_id_token_endpoint(emulator: RunningEmulator) -> None:
    data = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "resource": "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d",
    }
    body = httpx.post(f"{emulator.base_url}/aad/tenant-1/oauth2/token", data=data).json()
    assert int(body["expires_in"]) > 0
    assert _get(emulator, {"Authorization": f"Bearer {body['access_token']}"}).status_code == 200


def test_state_dump_holds_no_secrets(emulator: RunningEmulator) -> None:
    token = fetch_token(emulator)
    emulator.admin.add_pat("dapi-visible?")
    dump = json.dumps(emulator.admin.state())
    for secret in (emulator.client_secret, token, "dapi-visible?"):
        assert secret not in dump
