"""Credentials inputs and the ``Config`` keyword arguments built from them (no network)."""

from __future__ import annotations

import os
from typing import Any

import pydantic
import pytest

from ncc_operator.databricks import AuthType, Credentials, sdk_config_kwargs
from ncc_operator.databricks.auth import redact

HOST = "https://accounts.cloud.databricks.com"
ACC = "acc-1"
DISCOVERY = f"{HOST}/oidc/accounts/{ACC}/.well-known/oauth-authorization-server"


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        pytest.param(
            Credentials.oauth_m2m("sp", "s3cret"),
            {
                "auth_type": "oauth-m2m",
                "client_id": "sp",
                "client_secret": "s3cret",
                "discovery_url": DISCOVERY,
            },
            id="oauth-m2m-explicit-account-discovery",
        ),
        pytest.param(
            Credentials.file_oidc("sp", "/var/run/token"),
            {
                "auth_type": "file-oidc",
                "client_id": "sp",
                "oidc_token_filepath": "/var/run/token",
                "discovery_url": DISCOVERY,
            },
            id="file-oidc",
        ),
        pytest.param(
            Credentials.env_oidc("sp", "MY_TOKEN"),
            {
                "auth_type": "env-oidc",
                "client_id": "sp",
                "oidc_token_env": "MY_TOKEN",
                "discovery_url": DISCOVERY,
            },
            id="env-oidc-named-variable",
        ),
        pytest.param(
            Credentials.env_oidc("sp"),
            {"auth_type": "env-oidc", "oidc_token_env": ""},
            id="env-oidc-default-variable",
        ),
        pytest.param(
            Credentials.azure_client_secret_auth("t", "c", "s3cret"),
            {
                "auth_type": "azure-client-secret",
                "azure_tenant_id": "t",
                "azure_client_id": "c",
                "azure_client_secret": "s3cret",
                "discovery_url": "",
            },
            id="azure-no-databricks-discovery",
        ),
        pytest.param(
            Credentials.pat("dapi1"),
            {"auth_type": "pat", "token": "dapi1", "client_secret": ""},
            id="pat",
        ),
    ],
)
def test_config_kwargs_per_auth_type(credentials: Credentials, expected: dict[str, Any]) -> None:
    kwargs = sdk_config_kwargs(HOST + "/", ACC, credentials, cloud="aws")
    assert kwargs.items() >= {"host": HOST, "account_id": ACC, "cloud": "AWS", **expected}.items()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("config_file", os.devnull, id="never-read-databrickscfg"),
        pytest.param("profile", "", id="no-profile-from-env"),
        pytest.param("token", "", id="no-DATABRICKS_TOKEN-for-oauth"),
        pytest.param("token_audience", "", id="no-DATABRICKS_TOKEN_AUDIENCE"),
        pytest.param("azure_client_id", "", id="no-ARM_CLIENT_ID"),
        pytest.param("azure_use_msi", False, id="no-ARM_USE_MSI"),
        pytest.param("debug_headers", False, id="never-log-headers"),
        pytest.param("metadata_service_url", "", id="no-metadata-service"),
    ],
)
def test_every_env_backed_attribute_is_pinned(name: str, value: object) -> None:
    kwargs = sdk_config_kwargs(HOST, ACC, Credentials.oauth_m2m("sp", "s"))
    assert kwargs[name] == value


def test_config_kwargs_discovery_override() -> None:
    kwargs = sdk_config_kwargs(
        HOST, ACC, Credentials.oauth_m2m("sp", "s"), discovery_url="http://x/d"
    )
    assert kwargs["discovery_url"] == "http://x/d"


@pytest.mark.parametrize(
    ("fields", "missing"),
    [
        pytest.param(
            {"auth_type": "oauth-m2m", "client_id": "sp"}, "client_secret", id="m2m-without-secret"
        ),
        pytest.param(
            {"auth_type": "file-oidc", "client_id": "sp"},
            "oidc_token_filepath",
            id="wif-without-token-path",
        ),
        pytest.param(
            {
                "auth_type": "azure-client-secret",
                "azure_client_id": "c",
                "azure_client_secret": "s",
            },
            "azure_tenant_id",
            id="azure-without-tenant",
        ),
        pytest.param({"auth_type": "pat"}, "token", id="pat-without-token"),
    ],
)
def test_credentials_require_their_fields(fields: dict[str, str], missing: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=missing):
        Credentials(**fields)


def test_credentials_reject_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError):
        Credentials(auth_type=AuthType.PAT, token="t", password="p")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(Credentials.oauth_m2m("sp", "m2m-secret-value"), id="m2m"),
        pytest.param(Credentials.pat("dapi-secret-value"), id="pat"),
        pytest.param(
            Credentials.azure_client_secret_auth("t", "c", "azure-secret-value"), id="azure"
        ),
    ],
)
def test_credentials_never_print_their_secrets(credentials: Credentials) -> None:
    [secret] = credentials.secret_values()
    for text in (
        repr(credentials),
        str(credentials),
        f"{credentials}",
        str(credentials.model_dump()),
    ):
        assert secret not in text


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        pytest.param(
            "invalid_client for s3cret-value",
            ("s3cret-value",),
            "invalid_client for ***",
            id="known-secret",
        ),
        pytest.param(
            "header Authorization: Bearer dkea0123abc",
            (),
            "header Authorization: Bearer ***",
            id="bearer-token",
        ),
        pytest.param(
            "bad jwt eyJhbGciOi.eyJzdWIiOi.c2ln here", (), "bad jwt *** here", id="jwt-shaped"
        ),
        pytest.param("Basic dXNlcjpwYXNz", (), "Basic ***", id="basic-credentials"),
        pytest.param("short abc", ("abc",), "short abc", id="too-short-to-scrub-safely"),
    ],
)
def test_redact(text: str, secrets: tuple[str, ...], expected: str) -> None:
    assert redact(text, secrets) == expected


@pytest.mark.parametrize(
    ("credentials", "token_audience"),
    [
        pytest.param(Credentials.file_oidc("sp", "/t", audience="aud-1"), "aud-1", id="file-oidc"),
        pytest.param(Credentials.env_oidc("sp", audience="aud-2"), "aud-2", id="env-oidc"),
        pytest.param(Credentials.file_oidc("sp", "/t"), "", id="unset-is-pinned-empty"),
    ],
)
def test_audience_becomes_token_audience(credentials: Credentials, token_audience: str) -> None:
    assert sdk_config_kwargs(HOST, ACC, credentials)["token_audience"] == token_audience


def test_audience_only_for_workload_identity() -> None:
    with pytest.raises(pydantic.ValidationError, match="take no audience"):
        Credentials(auth_type=AuthType.PAT, token=pydantic.SecretStr("t"), audience="x")


@pytest.mark.parametrize(
    ("budget", "http", "retry"),
    [
        pytest.param(30.0, 10.0, 10, id="default-budget-a-third-each"),
        pytest.param(3.0, 1.0, 1, id="small-budget"),
        pytest.param(0.6, 0.5, 1, id="never-zero-which-would-mean-300s"),
        pytest.param(600.0, 10.0, 200, id="http-timeout-capped"),
    ],
)
def test_sdk_timeouts_come_from_the_budget(budget: float, http: float, retry: int) -> None:
    kwargs = sdk_config_kwargs(HOST, ACC, Credentials.pat("t"), timeout_seconds=budget)
    assert (kwargs["http_timeout_seconds"], kwargs["retry_timeout_seconds"]) == (http, retry)
