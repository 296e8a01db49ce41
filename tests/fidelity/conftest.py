"""Fidelity wiring: the official ``databricks-sdk`` AccountClient pointed at an emulator.

The SDK reads ``DATABRICKS_*``/``ARM_*`` variables and ``~/.databrickscfg``; every test runs with
those removed so a developer's real configuration can never leak into (or out of) the suite.
How each auth type is built here is exactly what the operator's own client needs to do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from databricks.sdk import AccountClient
from databricks.sdk.core import Config
from databricks.sdk.environments import (
    ARM_DATABRICKS_RESOURCE_ID,
    AzureEnvironment,
    Cloud,
    DatabricksEnvironment,
)

from ncc_emulator import endpoints
from ncc_emulator.testing import RunningEmulator, TestIssuer

T = TypeVar("T")

AUTH_TYPES = ["oauth-m2m", "file-oidc", "pat"]
WIF_CLIENT_ID = "ncc-operator-wif-sp"
K8S_SUBJECT = "system:serviceaccount:ncc-system:ncc-operator"
_ENV_PREFIXES = ("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_", "ACTIONS_ID_TOKEN_", "SYSTEM_")


@pytest.fixture(autouse=True)
def isolated_sdk_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))


def oauth_m2m_config(run: RunningEmulator) -> Config:
    """Only host + account id + client credentials: discovery comes from the host metadata."""
    return Config(
        host=run.base_url,
        account_id=run.account_id,
        client_id=run.client_id,
        client_secret=run.client_secret,
        auth_type="oauth-m2m",
    )


def file_oidc_config(run: RunningEmulator, token_dir: Path) -> Config:
    """Workload identity federation: a projected-token file exchanged for a Databricks token."""
    issuer = TestIssuer()
    run.admin.add_federation_policy(
        issuer.issuer, K8S_SUBJECT, issuer.jwks(), client_id=WIF_CLIENT_ID
    )
    token_file = token_dir / "token"
    # The audience the policy accepts by default is the account id (what a projected
    # service-account token would be issued for).
    token_file.write_text(issuer.token(K8S_SUBJECT, run.account_id))
    return Config(
        host=run.base_url,
        account_id=run.account_id,
        client_id=WIF_CLIENT_ID,
        oidc_token_filepath=str(token_file),
        auth_type="file-oidc",
    )


def pat_config(run: RunningEmulator) -> Config:
    run.admin.add_pat("dapi-fidelity-token", admin=True)
    return Config(
        host=run.base_url, account_id=run.account_id, token="dapi-fidelity-token", auth_type="pat"
    )


def azure_client_secret_config(run: RunningEmulator) -> Config:
    """Entra ID redirected to the emulator through the public ``databricks_environment`` kwarg."""
    environment = DatabricksEnvironment(
        cloud=Cloud.AZURE,
        dns_zone=".emulator.local",
        azure_application_id=ARM_DATABRICKS_RESOURCE_ID,
        azure_environment=AzureEnvironment(
            name="PUBLIC",
            service_management_endpoint=f"{run.base_url}/aad-management/",
            resource_manager_endpoint=f"{run.base_url}/arm/",
            active_directory_endpoint=f"{run.base_url}/aad/",
        ),
    )
    return Config(
        host=run.base_url,
        account_id=run.account_id,
        azure_client_id=run.client_id,
        azure_client_secret=run.client_secret,
        azure_tenant_id="00000000-0000-0000-0000-000000000001",
        auth_type="azure-client-secret",
        databricks_environment=environment,
    )


AccountClientFactory = Callable[[RunningEmulator, str], AccountClient]


@pytest.fixture
def account_client(tmp_path: Path) -> AccountClientFactory:
    """``(running_emulator, auth_type) -> AccountClient``."""

    def build(run: RunningEmulator, auth_type: str) -> AccountClient:
        builders: dict[str, Callable[[], Config]] = {
            "oauth-m2m": lambda: oauth_m2m_config(run),
            "file-oidc": lambda: file_oidc_config(run, tmp_path),
            "pat": lambda: pat_config(run),
            "azure-client-secret": lambda: azure_client_secret_config(run),
        }
        return AccountClient(config=builders[auth_type]())

    return build


def auth_calls(auth_type: str) -> dict[str, int]:
    """The wire calls Config() construction plus the first API call make, per auth type."""
    metadata = {endpoints.HOST_METADATA.key: 1}
    discovery = {endpoints.ACCOUNT_DISCOVERY.key: 1}
    token = {endpoints.ACCOUNT_TOKEN.key: 1}
    if auth_type == "pat":
        return metadata
    if auth_type == "azure-client-secret":
        return {**metadata, endpoints.AAD_TOKEN.key: 2}
    return {**metadata, **discovery, **token}


def must(value: T | None) -> T:
    """SDK dataclasses type every field Optional; ids the emulator always returns are not."""
    assert value is not None
    return value
