"""Objects as the apiserver (and Kopf) deliver them, shared by the model tests."""

from __future__ import annotations

from typing import Any

from ncc_operator.models import PAUSED_ANNOTATION

ACCOUNT_ID = "0d5b5a1e-7c55-4c8e-9d3a-5e1f00c0ffee"
RESOURCE_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
    "/providers/Microsoft.Storage/storageAccounts/mystorage"
)


def meta(name: str = "obj", **extra: Any) -> dict[str, Any]:
    """Metadata as the apiserver returns it, noise included."""
    return {
        "name": name,
        "namespace": "team-a",
        "uid": "5f0c1c9e-1111-2222-3333-444455556666",
        "generation": 3,
        "resourceVersion": "4711",
        "creationTimestamp": "2026-11-28T03:00:00Z",
        "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
        **extra,
    }


ACCOUNT_BODY: dict[str, Any] = {
    "apiVersion": "networking.ncc-operator.io/v1alpha1",
    "kind": "DatabricksAccount",
    "metadata": meta("prod", finalizers=["ncc-operator.io/finalizer"]),
    "spec": {
        "accountId": ACCOUNT_ID,
        "cloud": "azure",
        "auth": {"workloadIdentity": {"clientId": "sp-app-id"}},
        "rateLimit": {"requestsPerSecond": 15, "burst": 30, "maxConcurrency": 10},
    },
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "Available",
                "message": "",
                "lastTransitionTime": "2026-11-28T03:01:02Z",
                "observedGeneration": 3,
            }
        ],
        "observedGeneration": 3,
        "id": ACCOUNT_ID,
        "atProvider": {"host": "https://accounts.azuredatabricks.net", "authType": "file-oidc"},
    },
}

NCC_BODY: dict[str, Any] = {
    "apiVersion": "networking.ncc-operator.io/v1alpha1",
    "kind": "NetworkConnectivityConfig",
    "metadata": meta("ncc-eastus2", annotations={PAUSED_ANNOTATION: "true"}),
    "spec": {
        "accountRef": {"name": "prod"},
        "region": "eastus2",
        "workspaceIds": [1234567890123456],
        "allowedRuleNamespaces": {"from": "Selector", "selector": {"matchLabels": {"a": "b"}}},
        "deletionPolicy": "Orphan",
        "managementPolicy": "Manage",
    },
    "status": {
        "id": "9a1c4b8e-0000-4000-8000-000000000001",
        "atProvider": {
            "region": "eastus2",
            "egressConfig": {
                "azureServiceEndpointSubnets": ["/subscriptions/x/.../subnets/a"],
                "azureTargetRegion": "eastus2",
                "azureTargetServices": ["AZURE_BLOB_STORAGE"],
            },
            "attachedWorkspaceIds": [1234567890123456],
            "ruleCounts": {"ESTABLISHED": 2, "PENDING": 1},
        },
    },
}

RULE_BODY: dict[str, Any] = {
    "apiVersion": "networking.ncc-operator.io/v1alpha1",
    "kind": "PrivateEndpointRule",
    "metadata": meta("s3", deletionTimestamp="2026-11-28T04:00:00Z"),
    "spec": {
        "nccRef": {"name": "ncc-us-east-1", "namespace": "platform"},
        "aws": {"endpointService": "com.amazonaws.us-east-1.s3", "resourceNames": ["bucket-a"]},
        "deletionPolicy": "Delete",
        "managementPolicy": "ObserveOnly",
        "externalId": "7d0a1b2c-0000-4000-8000-000000000002",
    },
}
