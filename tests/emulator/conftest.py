"""HTTP helpers for the emulator behaviour tests: an authenticated client bound to the account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ncc_emulator.testing import RunningEmulator


def fetch_token(run: RunningEmulator) -> str:
    response = httpx.post(
        f"{run.base_url}/oidc/accounts/{run.account_id}/v1/token",
        data={"grant_type": "client_credentials", "scope": "all-apis"},
        auth=(run.client_id, run.client_secret),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


class Api:
    """A blocking client for ``/api/2.0/accounts/{account_id}`` with a valid bearer token."""

    def __init__(self, run: RunningEmulator) -> None:
        self.run = run
        self.http = httpx.Client(
            base_url=f"{run.base_url}/api/2.0/accounts/{run.account_id}",
            headers={"Authorization": f"Bearer {fetch_token(run)}"},
            timeout=10,
        )

    def call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        return self.http.request(method, path, json=body, params=params)

    def ok(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.call(method, path, body, params)
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        data: dict[str, Any] = response.json()
        return data

    def create_ncc(self, name: str = "ncc-a", region: str = "eastus2") -> dict[str, Any]:
        return self.ok("POST", "/network-connectivity-configs", {"name": name, "region": region})

    def rules_path(self, ncc_id: str) -> str:
        return f"/network-connectivity-configs/{ncc_id}/private-endpoint-rules"

    def create_rule(self, ncc_id: str, **body: Any) -> dict[str, Any]:
        return self.ok("POST", self.rules_path(ncc_id), body)

    def rule(self, ncc_id: str, rule_id: str) -> dict[str, Any]:
        return self.ok("GET", f"{self.rules_path(ncc_id)}/{rule_id}")

    def close(self) -> None:
        self.http.close()


def assert_error(response: httpx.Response, status: int, code: str, fragment: str = "") -> None:
    """The Databricks error shape: code, message, a RequestInfo detail, JSON content type."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error_code"] == code, body
    assert fragment in body["message"], body
    detail = body["details"][0]
    assert detail["@type"] == "type.googleapis.com/google.rpc.RequestInfo"
    assert detail["request_id"]
    assert detail["serving_data"] == ""


@pytest.fixture
def api(emulator: RunningEmulator) -> Iterator[Api]:
    client = Api(emulator)
    yield client
    client.close()


@pytest.fixture
def aws_api(aws_emulator: RunningEmulator) -> Iterator[Api]:
    client = Api(aws_emulator)
    yield client
    client.close()


AZURE_BLOB = {
    "resource_id": "/subscriptions/s/resourceGroups/g/providers/x/st1",
    "group_id": "blob",
}
S3_RULE = {"endpoint_service": "com.amazonaws.us-east-1.s3", "resource_names": ["bucket-a"]}
NLB_RULE = {
    "endpoint_service": "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
    "domain_names": ["db.internal.example.com"],
}
