"""Auth flows through databricks-sdk ``Config`` against the emulator; secrets never leak."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import (
    Credentials,
    CredentialsError,
    ErrorKind,
    PermissionDenied,
    Unauthenticated,
    classify,
)

from .loopback import ISSUER, SUBJECT, SigningKey, connect

PAT = "dapi0123456789abcdef0123456789abcdef"


async def _can_list(emu: RunningEmulator, credentials: Credentials) -> None:
    async with await connect(emu, credentials) as client:
        assert await client.list_network_connectivity_configurations() == []


async def test_oauth_m2m(emulator: RunningEmulator) -> None:
    await _can_list(emulator, Credentials.oauth_m2m(emulator.client_id, emulator.client_secret))


async def test_file_oidc_workload_identity(emulator: RunningEmulator, tmp_path: Path) -> None:
    key = SigningKey()
    emulator.admin.add_federation_policy(
        issuer=ISSUER,
        subject=SUBJECT,
        audiences=[emulator.account_id],
        client_id="wif-sp",
        jwks_json=key.jwks(),
    )
    token_file = tmp_path / "token"
    token_file.write_text(key.token(audience=emulator.account_id))
    await _can_list(emulator, Credentials.file_oidc("wif-sp", str(token_file)))


async def test_env_oidc_reads_the_named_variable(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SigningKey()
    emulator.admin.add_federation_policy(
        issuer=ISSUER, subject=SUBJECT, client_id="env-sp", jwks_json=key.jwks()
    )
    monkeypatch.setenv("MY_ID_TOKEN", key.token(audience=emulator.account_id))
    await _can_list(emulator, Credentials.env_oidc("env-sp", "MY_ID_TOKEN"))


async def test_azure_client_secret_via_entra_id_authority_override(
    emulator: RunningEmulator,
) -> None:
    credentials = Credentials.azure_client_secret_auth(
        "tenant-1", emulator.client_id, emulator.client_secret
    )
    async with await connect(
        emulator, credentials, azure_login_endpoint=f"{emulator.base_url}/aad/"
    ) as client:
        headers = await client._auth()
        assert await client.list_network_connectivity_configurations() == []
    # The SDK adds the ARM management token for account-level Azure calls.
    assert "X-Databricks-Azure-SP-Management-Token" in headers


async def test_pat(emulator: RunningEmulator) -> None:
    emulator.admin.add_pat(token=PAT, admin=True)
    await _can_list(emulator, Credentials.pat(PAT))


async def test_federation_with_an_untrusted_key_fails_as_credentials_error(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.admin.add_federation_policy(
        issuer=ISSUER, subject=SUBJECT, client_id="wif-sp", jwks_json=SigningKey().jwks()
    )
    token_file = tmp_path / "token"
    jwt_text = SigningKey("attacker").token(audience=emulator.account_id)
    token_file.write_text(jwt_text)
    async with await connect(emulator, Credentials.file_oidc("wif-sp", str(token_file))) as client:
        with pytest.raises(CredentialsError) as caught:
            await client.list_network_connectivity_configurations()
    assert jwt_text not in str(caught.value)
    assert classify(caught.value) is ErrorKind.AUTH


@pytest.mark.parametrize(
    ("setup", "credentials", "error"),
    [
        pytest.param(
            None,
            Credentials.oauth_m2m("nobody", "wrong-secret-123"),
            CredentialsError,
            id="401-token-endpoint-bad-secret",
        ),
        pytest.param(
            None, Credentials.pat("dapi-not-registered"), Unauthenticated, id="401-unknown-pat"
        ),
        pytest.param(
            "reader",
            Credentials.oauth_m2m("reader", "reader-secret-123"),
            PermissionDenied,
            id="403-not-account-admin",
        ),
    ],
)
async def test_auth_failures(
    emulator: RunningEmulator, setup: str | None, credentials: Credentials, error: type[Exception]
) -> None:
    if setup == "reader":
        emulator.admin.add_principal(
            client_id="reader", client_secret="reader-secret-123", admin=False
        )
    async with await connect(emulator, credentials) as client:
        with pytest.raises(error) as caught:
            await client.list_network_connectivity_configurations()
    assert classify(caught.value) is ErrorKind.AUTH
    for secret in credentials.secret_values():
        assert secret not in str(caught.value)


async def test_unusable_config_fails_at_connect_as_credentials_error(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    missing = Credentials.file_oidc("wif-sp", str(tmp_path / "no-such-token"))
    with pytest.raises(CredentialsError, match="cannot configure file-oidc auth"):
        await connect(emulator, missing)


async def test_developer_environment_cannot_change_the_credentials(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = tmp_path / ".databrickscfg"
    cfg.write_text("[DEFAULT]\nhost = http://127.0.0.1:9\ntoken = dapi-from-file\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    for name, value in {
        "DATABRICKS_CONFIG_FILE": str(cfg),
        "DATABRICKS_CONFIG_PROFILE": "DEFAULT",
        "DATABRICKS_HOST": "http://127.0.0.1:9",
        "DATABRICKS_TOKEN": "dapi-from-env",
        "DATABRICKS_AUTH_TYPE": "pat",
        "DATABRICKS_CLIENT_SECRET": "wrong-from-env",
        "DATABRICKS_DISCOVERY_URL": "http://127.0.0.1:9/nowhere",
        "DATABRICKS_TOKEN_AUDIENCE": "someone-else",
    }.items():
        monkeypatch.setenv(name, value)
    await _can_list(emulator, Credentials.oauth_m2m(emulator.client_id, emulator.client_secret))


async def test_secrets_never_appear_in_repr_errors_or_logs(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    emulator.admin.add_pat(token=PAT)
    m2m = Credentials.oauth_m2m(emulator.client_id, emulator.client_secret)
    async with await connect(emulator, m2m) as client:
        await client.list_network_connectivity_configurations()
        bearer = (await client._auth())["Authorization"].split()[1]
        shown = [repr(client), str(client), repr(client._auth), repr(m2m), str(m2m)]
    async with await connect(emulator, Credentials.pat(PAT)) as pat_client:
        await pat_client.list_network_connectivity_configurations()
        shown += [repr(pat_client), repr(Credentials.pat(PAT))]
    key = SigningKey()
    jwt_text = key.token(audience=emulator.account_id)
    (tmp_path / "token").write_text(jwt_text)
    with pytest.raises(CredentialsError) as failed:  # no policy trusts this key
        async with await connect(
            emulator, Credentials.file_oidc("x", str(tmp_path / "token"))
        ) as c:
            await c.list_network_connectivity_configurations()
    with pytest.raises(CredentialsError) as bad_secret:
        async with await connect(
            emulator, Credentials.oauth_m2m(emulator.client_id, "Wr0ng-s3cret")
        ) as c:
            await c.list_network_connectivity_configurations()
    text = "\n".join([*shown, str(failed.value), str(bad_secret.value), caplog.text])
    for secret in (emulator.client_secret, PAT, bearer, jwt_text, "Wr0ng-s3cret"):
        assert secret not in text
    assert "DEBUG" in {r.levelname for r in caplog.records}  # the check ran with debug logging on


TOKEN_ROUTE = "POST /oidc/accounts/{account_id}/v1/token"


@pytest.mark.parametrize(
    ("token_audience", "exchanged"),
    [
        pytest.param("custom-aud", True, id="token-for-the-configured-audience-is-exchanged"),
        pytest.param(None, False, id="token-for-another-audience-is-refused-before-sending"),
    ],
)
async def test_workload_identity_audience_is_the_configured_one(
    emulator: RunningEmulator, tmp_path: Path, token_audience: str | None, exchanged: bool
) -> None:
    """The policy trusts only ``custom-aud``; the configured audience is what gets presented."""
    key = SigningKey()
    emulator.admin.add_federation_policy(
        issuer=ISSUER,
        subject=SUBJECT,
        audiences=["custom-aud"],
        client_id="wif-sp",
        jwks_json=key.jwks(),
    )
    token_file = tmp_path / "token"
    token_file.write_text(key.token(audience=token_audience or emulator.account_id))
    credentials = Credentials.file_oidc("wif-sp", str(token_file), audience="custom-aud")
    emulator.admin.reset_counts()
    if exchanged:
        await _can_list(emulator, credentials)
    else:
        with pytest.raises(CredentialsError, match="not the configured audience 'custom-aud'"):
            await connect(emulator, credentials)
    assert emulator.admin.request_counts().get(TOKEN_ROUTE, 0) == (1 if exchanged else 0)


async def test_env_oidc_takes_an_audience_too(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SigningKey()
    emulator.admin.add_federation_policy(
        issuer=ISSUER, subject=SUBJECT, audiences=["env-aud"], client_id="env-sp",
        jwks_json=key.jwks(),
    )  # fmt: skip
    monkeypatch.setenv("MY_ID_TOKEN", key.token(audience="env-aud"))
    await _can_list(emulator, Credentials.env_oidc("env-sp", "MY_ID_TOKEN", audience="env-aud"))
