"""The ncc-operator CRDs installed once per session on the real test API server, plus builders of
valid objects of each kind that tests copy and break one field at a time."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ncc_operator.models import API_VERSION, GROUP
from ncc_testenv.cluster import Cluster

from ..models.schema_diff import CRD_DIR

PLURALS = (
    "databricksaccounts",
    "networkconnectivityconfigs",
    "privateendpointrules",
    "networkpolicies",
)
ACCOUNT_ID = "0d5b5a1e-7c55-4c8e-9d3a-5e1f00c0ffee"
RESOURCE_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg"
    "/providers/Microsoft.Storage/storageAccounts/mystorage"
)


@pytest.fixture(scope="session")
def ncc_crds(control_plane: Cluster) -> Iterator[tuple[str, ...]]:
    """All the CRDs applied and Established; yields their kubectl resource names."""
    names = tuple(f"{plural}.{GROUP}" for plural in PLURALS)
    control_plane.kubectl("apply", "-f", str(CRD_DIR))
    control_plane.kubectl(
        "wait", "--for=condition=Established", *(f"crd/{n}" for n in names), "--timeout=60s"
    )
    yield names
    control_plane.kubectl("delete", "-f", str(CRD_DIR), "--wait=false", check=False)


def _object(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def _set(fields: dict[str, Any]) -> dict[str, Any]:
    """Builders take ``field=None`` to mean "leave this field out"."""
    return {k: v for k, v in fields.items() if v is not None}


def account(name: str = "acct", /, **spec: Any) -> dict[str, Any]:
    base = {
        "accountId": ACCOUNT_ID,
        "cloud": "azure",
        "auth": {"oauthM2M": {"secretRef": {"name": "dbx-sp"}}},
    }
    return _object("DatabricksAccount", name, _set({**base, **spec}))


def ncc(name: str = "ncc-eastus2", /, **spec: Any) -> dict[str, Any]:
    base = {"accountRef": {"name": "acct"}, "region": "eastus2"}
    return _object("NetworkConnectivityConfig", name, _set({**base, **spec}))


def azure_rule(name: str = "blob", /, **azure: Any) -> dict[str, Any]:
    target = _set({"resourceId": RESOURCE_ID, "groupId": "blob", **azure})
    return _object(
        "PrivateEndpointRule", name, {"nccRef": {"name": "ncc-eastus2"}, "azure": target}
    )


def aws_rule(name: str = "s3", /, **aws: Any) -> dict[str, Any]:
    target = _set({"endpointService": "com.amazonaws.us-east-1.s3", **aws})
    return _object(
        "PrivateEndpointRule", name, {"nccRef": {"name": "ncc-us-east-1"}, "aws": target}
    )


ATTACHMENT = "projects/my-project/regions/us-east4/serviceAttachments/orders-db"


def gcp_rule(name: str = "psc", /, **gcp: Any) -> dict[str, Any]:
    target = _set({"serviceAttachment": ATTACHMENT, **gcp})
    return _object("PrivateEndpointRule", name, {"nccRef": {"name": "ncc-us-east4"}, "gcp": target})


def edited(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy with the dotted ``path`` set to ``value`` (``None`` deletes the key)."""
    result = copy.deepcopy(obj)
    *parents, leaf = path.split(".")
    node = result
    for key in parents:
        node = node.setdefault(key, {})
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return result


def manifest(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, sort_keys=False)
