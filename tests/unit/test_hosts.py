"""Where credentials may go: Databricks account hosts, the operator's allow list, nothing else."""

from __future__ import annotations

import pytest

from ncc_operator.reconcile import NotAllowed
from ncc_operator.resources.hosts import HostPolicy
from ncc_operator.settings import Settings

STRICT = HostPolicy()
EMULATOR = HostPolicy.of(["127.0.0.1", "dbx.internal.example:8443"], allow_http=True)

CASES = [
    # (policy, url, allowed, why)
    (STRICT, "https://accounts.cloud.databricks.com", True, "AWS account host"),
    (STRICT, "https://accounts.azuredatabricks.net/", True, "Azure, trailing slash"),
    (STRICT, "https://ACCOUNTS.GCP.DATABRICKS.COM", True, "host names are case-insensitive"),
    (STRICT, "https://accounts.cloud.databricks.us", True, "AWS GovCloud"),
    (STRICT, "https://evil.example.com", False, "a tenant's capture server"),
    (STRICT, "http://accounts.cloud.databricks.com", False, "plain http without the flag"),
    (STRICT, "https://accounts.cloud.databricks.com.evil.example", False, "suffix trick"),
    (STRICT, "https://user:pw@accounts.cloud.databricks.com", False, "userinfo is sent as Basic"),
    (STRICT, "https://accounts.cloud.databricks.com/x?y=1", False, "path and query"),
    (STRICT, "http://127.0.0.1:8765", False, "loopback only when the operator allows it"),
    (EMULATOR, "http://127.0.0.1:8765", True, "allow-listed host, any port"),
    (EMULATOR, "https://dbx.internal.example:8443", True, "allow-listed host:port"),
    (EMULATOR, "https://dbx.internal.example:9443", False, "allow-listed host, other port"),
    (EMULATOR, "http://admin:pw@127.0.0.1:8765", False, "userinfo even on an allowed host"),
    (EMULATOR, "ftp://127.0.0.1", False, "another scheme"),
]


@pytest.mark.parametrize(("policy", "url", "allowed", "why"), CASES, ids=[c[3] for c in CASES])
def test_host_policy(policy: HostPolicy, url: str, allowed: bool, why: str) -> None:
    if allowed:
        policy.check(url)
        return
    with pytest.raises(NotAllowed) as refused:
        policy.check(url)
    assert "pw" not in refused.value.message, "a password never reaches a message"


def test_allow_list_and_flags_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "NCC_OPERATOR_ALLOWED_HOSTS": "127.0.0.1, dbx.internal.example:8443",
            "NCC_OPERATOR_ALLOW_HTTP": "true",
            "NCC_OPERATOR_WORKLOAD_IDENTITY_TOKEN_PATH": "/var/run/secrets/tokens/databricks",
        }
    )
    assert settings.allowed_hosts == ["127.0.0.1", "dbx.internal.example:8443"]
    assert settings.allow_http
    assert settings.workload_identity_token_path == "/var/run/secrets/tokens/databricks"
    defaults = Settings.from_env({})
    assert (defaults.allowed_hosts, defaults.allow_http) == ([], False)
