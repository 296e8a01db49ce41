"""Auth behaviour of the official SDK against the emulator: token refresh, re-reading the OIDC
token file, and how authentication failures surface.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from databricks.sdk import AccountClient
from databricks.sdk.core import Config
from databricks.sdk.errors import PermissionDenied

from ncc_emulator import endpoints
from ncc_emulator.testing import TestIssuer

from .conftest import K8S_SUBJECT, WIF_CLIENT_ID, AccountClientFactory

pytestmark = pytest.mark.fidelity

TOKEN = endpoints.ACCOUNT_TOKEN.key
LIST = endpoints.LIST_NCCS.key


@pytest.mark.parametrize("auth_type", ["oauth-m2m", "file-oidc"])
def test_sdk_refreshes_short_lived_tokens(
    emulator_factory: Any, account_client: AccountClientFactory, auth_type: str
) -> None:
    run = emulator_factory(token_expires_in=1)
    client = account_client(run, auth_type)
    list(client.network_connectivity.list_network_connectivity_configurations())
    time.sleep(1.2)  # the first token is now expired on the emulator
    list(client.network_connectivity.list_network_connectivity_configurations())
    counts = run.admin.request_counts()
    assert counts[LIST] == 2  # no 401 was retried: the SDK fetched a fresh token first
    assert counts[TOKEN] >= 2


def test_file_oidc_rereads_rotated_token(emulator_factory: Any, tmp_path: Path) -> None:
    """Kubernetes rotates projected tokens; the SDK must read the file again on refresh."""
    run = emulator_factory(token_expires_in=1)
    issuer = TestIssuer()
    run.admin.add_federation_policy(
        issuer.issuer, K8S_SUBJECT, issuer.jwks(), client_id=WIF_CLIENT_ID
    )
    token_file = tmp_path / "token"
    # The issuer rounds `exp` down to a whole second, so a 1 s lifetime can be over before the
    # first exchange on a loaded machine; 5 s leaves room, and the sleep below waits for `exp`.
    first = issuer.token(K8S_SUBJECT, run.account_id, lifetime=5)
    token_file.write_text(first)
    cfg = Config(
        host=run.base_url,
        account_id=run.account_id,
        client_id=WIF_CLIENT_ID,
        oidc_token_filepath=str(token_file),
        auth_type="file-oidc",
    )
    client = AccountClient(config=cfg)
    list(client.network_connectivity.list_network_connectivity_configurations())
    token_file.write_text(issuer.token(K8S_SUBJECT, run.account_id))  # the "rotated" token
    expires = jwt.decode(first, options={"verify_signature": False})["exp"]
    time.sleep(max(expires - time.time(), 0) + 0.2)  # the first ID token and access token expired
    assert list(client.network_connectivity.list_network_connectivity_configurations()) == []
    assert run.admin.request_counts()[TOKEN] >= 2  # the second exchange used the rotated file


def test_non_admin_service_principal_gets_permission_denied(emulator_factory: Any) -> None:
    run = emulator_factory()
    run.admin.add_principal("reader-sp", "reader-secret", admin=False)
    cfg = Config(
        host=run.base_url,
        account_id=run.account_id,
        client_id="reader-sp",
        client_secret="reader-secret",
        auth_type="oauth-m2m",
    )
    with pytest.raises(PermissionDenied):
        list(
            AccountClient(
                config=cfg
            ).network_connectivity.list_network_connectivity_configurations()
        )


def test_wrong_secret_fails_at_first_call(emulator_factory: Any) -> None:
    run = emulator_factory()
    cfg = Config(
        host=run.base_url,
        account_id=run.account_id,
        client_id=run.client_id,
        client_secret="wrong",
        auth_type="oauth-m2m",
    )
    client = AccountClient(config=cfg)
    with pytest.raises(ValueError, match="invalid_client"):
        list(client.network_connectivity.list_network_connectivity_configurations())
    counts = run.admin.request_counts()
    assert counts[TOKEN] == 1
    assert LIST not in counts  # the API was never called without a token
