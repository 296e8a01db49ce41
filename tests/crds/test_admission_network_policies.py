"""The NetworkPolicy CRD's schema and CEL rules, enforced by a real kube-apiserver.

Table-driven like ``test_admission.py``: every case says why it exists, valid objects are accepted,
and every refusal names the field (the path the apiserver prefixes its message with) and the rule
the user reads. The format rules themselves (host, bucket, account, region names) are shared with
the models in ``tests/models/hostile.py``; this file covers the rest of docs/serverless-egress.md
§5.1: modes, sets, the storage oneof, the policy id and ``default-policy``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from ncc_operator.models import API_VERSION, NetworkPolicyResource, formats
from ncc_testenv.cluster import Cluster

from .conftest import edited, manifest

pytestmark = pytest.mark.usefixtures("ncc_crds")

RESOURCE = "networkpolicies.networking.ncc-operator.io"
WORKSPACE = 1234567890123456
S3 = {"s3": {"bucketName": "raw-bucket", "region": "us-east-1"}}
AZURE = {"azure": {"storageAccount": "lakeprod", "service": "dfs"}}
GCS = {"gcs": {"bucketName": "exports-bucket", "region": "us-central1"}}

DNS = formats.DOMAIN_NAME[0].message
POLICY_ID = formats.NETWORK_POLICY_ID[0].message
S3_NAME = formats.S3_BUCKET_NAME
AWS_REGION = formats.AWS_REGION[0].message
AZURE_ACCOUNT = formats.AZURE_STORAGE_ACCOUNT[0].message
GCS_NAME = formats.GCS_BUCKET_NAME
REGION = formats.REGION[0].message
ONLY_RESTRICTED = "allowed destinations apply only with restrictionMode RESTRICTED_ACCESS"
EXACTLY_ONE = "each storage destination sets exactly one of s3, azure or gcs"
DRY_RUN_ONLY = "enforcement.dryRunProducts goes with mode DRY_RUN only"
NAME_NOT_AN_ID = "metadata.name is not a valid Databricks network policy id"
DEFAULT_ORPHAN = "default-policy cannot be deleted at Databricks: set deletionPolicy: Orphan"
DEFAULT_NO_WORKSPACES = "default-policy takes no workspaceIds"
ID_IMMUTABLE = "spec.networkPolicyId is immutable once set"
EFFECTIVE_ID_IMMUTABLE = "the policy id (spec.networkPolicyId, else metadata.name) is immutable"
_EG = "spec.egress"
_ST = f"{_EG}.allowedStorageDestinations[0]"


def _set(fields: dict[str, Any]) -> dict[str, Any]:
    """``field=None`` means "leave this field out"."""
    return {k: v for k, v in fields.items() if v is not None}


def egress(**fields: Any) -> dict[str, Any]:
    """A valid RESTRICTED_ACCESS egress with one allowed host; keyword arguments override it."""
    return _set(
        {
            "restrictionMode": "RESTRICTED_ACCESS",
            "allowedInternetDestinations": ["pypi.org"],
            **fields,
        }
    )


def full_access(**fields: Any) -> dict[str, Any]:
    return egress(
        **{"restrictionMode": "FULL_ACCESS", "allowedInternetDestinations": None, **fields}
    )


def policy(name: str = "restricted", /, **spec: Any) -> dict[str, Any]:
    base = {"accountRef": {"name": "acct"}, "egress": egress()}
    return {
        "apiVersion": API_VERSION,
        "kind": "NetworkPolicy",
        "metadata": {"name": name},
        "spec": _set({**base, **spec}),
    }


def storage(*destinations: dict[str, Any]) -> dict[str, Any]:
    return {"egress": egress(allowedStorageDestinations=list(destinations))}


FULL_EXAMPLE = policy(
    networkPolicyId="restricted-egress",
    egress=egress(
        allowedInternetDestinations=["pypi.org", "files.pythonhosted.org"],
        blockedInternetDestinations=["paste.example.net"],
        allowedStorageDestinations=[S3, AZURE, GCS],
        allowedDatabricksWorkspaceIds=[2345678901234567],
        enforcement={"mode": "DRY_RUN", "dryRunProducts": ["DBSQL", "ML_SERVING"]},
    ),
    workspaceIds=[WORKSPACE, 3456789012345678],
    deletionPolicy="Delete",
    managementPolicy="Manage",
)
LONG_NAME = "restricted-egress-for-the-data-platform-team"  # 44 characters: a valid object name


@dataclass(frozen=True)
class Create:
    id: str
    reason: str
    obj: dict[str, Any]
    error: str | None = None  # None: must be accepted
    field: str | None = None  # the path the apiserver names before the message

    def check(self, proc: Any) -> None:
        if self.error is None:
            assert proc.returncode == 0, f"{self.reason}: {proc.stderr}"
            return
        assert proc.returncode != 0, f"{self.reason}: accepted"
        assert self.error in proc.stderr, f"{self.reason}: {proc.stderr}"
        if self.field is not None:
            assert f"{self.field}:" in proc.stderr, f"{self.reason}: {proc.stderr}"


CREATES = [
    # --- accepted -------------------------------------------------------------------------------
    Create("full-example", "every field set, as in docs/serverless-egress.md §5.1", FULL_EXAMPLE),
    Create("full-access-minimal", "only the mode is required", policy(egress=full_access())),
    Create("blocked-under-full-access", "a block list is accepted in both modes (§1.3)",
           policy(egress=full_access(blockedInternetDestinations=["paste.example.net"]))),
    Create("dry-run-every-product", "an empty filter means every product runs in dry run",
           policy(egress=egress(enforcement={"mode": "DRY_RUN"}))),
    Create("gcs-without-region", "whether GCS needs a region is unconfirmed: optional",
           policy(**storage({"gcs": {"bucketName": "exports-bucket"}}))),
    Create("id-32-characters", "Databricks allows 1-32 characters",
           policy(networkPolicyId="a" * 32)),
    Create("id-dots-underscores-capitals", "the id pattern is ^[a-zA-Z0-9_.-]{1,32}$",
           policy(networkPolicyId="Egress_v2.prod-A")),
    Create("long-name-with-id", "networkPolicyId rescues a metadata.name that is not an id",
           policy(LONG_NAME, networkPolicyId="restricted-egress")),
    Create("default-policy-orphan", "the account default, adopted read-only and kept on delete",
           policy("default-policy", egress=full_access(), deletionPolicy="Orphan",
                  managementPolicy="ObserveOnly")),
    Create("default-policy-by-id-orphan", "networkPolicyId names the default as well",
           policy("account-default", networkPolicyId="default-policy", deletionPolicy="Orphan")),
    Create("500-workspaces", "our bound on workspaceIds (CEL cost)",
           policy(workspaceIds=list(range(1, 501)))),
    Create("2000-destinations", "Databricks: 2000 destinations in total",
           policy(egress=egress(allowedInternetDestinations=[f"h{i}.example.com"
                                                             for i in range(2000)]))),
    # --- restriction mode -----------------------------------------------------------------------
    Create("mode-missing", "RESTRICTION_MODE_UNSPECIFIED would be sent",
           policy(egress={"allowedInternetDestinations": ["pypi.org"]}), "Required value",
           f"{_EG}.restrictionMode"),
    Create("mode-unknown", "only the two Databricks values",
           policy(egress=egress(restrictionMode="PRIVATE_ACCESS_ONLY")),
           'Unsupported value: "PRIVATE_ACCESS_ONLY"', f"{_EG}.restrictionMode"),
    Create("mode-lowercase", "Databricks values verbatim", policy(egress=full_access(
        restrictionMode="full_access")), 'Unsupported value: "full_access"',
           f"{_EG}.restrictionMode"),
    Create("allowed-hosts-under-full-access", "reads as restrictive but is not",
           policy(egress=full_access(allowedInternetDestinations=["pypi.org"])),
           ONLY_RESTRICTED, f"{_EG}.allowedInternetDestinations"),
    Create("allowed-storage-under-full-access", "reads as restrictive but is not",
           policy(egress=full_access(allowedStorageDestinations=[S3])), ONLY_RESTRICTED,
           f"{_EG}.allowedStorageDestinations"),
    Create("allowed-workspaces-under-full-access", "reads as restrictive but is not",
           policy(egress=full_access(allowedDatabricksWorkspaceIds=[WORKSPACE])),
           ONLY_RESTRICTED, f"{_EG}.allowedDatabricksWorkspaceIds"),
    # --- internet destinations ------------------------------------------------------------------
    Create("host-wildcard", "wildcards are unconfirmed at Databricks: refused",
           policy(egress=egress(allowedInternetDestinations=["*.pythonhosted.org"])), DNS,
           f"{_EG}.allowedInternetDestinations[0]"),
    Create("host-url", "a URL is not a DNS_NAME destination",
           policy(egress=egress(allowedInternetDestinations=["https://pypi.org/simple"])), DNS,
           f"{_EG}.allowedInternetDestinations[0]"),
    Create("host-ip", "IP ranges are not supported (DNS_NAME only)",
           policy(egress=egress(allowedInternetDestinations=["pypi.org", "151.101.0.223"])),
           DNS, f"{_EG}.allowedInternetDestinations[1]"),
    Create("host-port", "no ports", policy(egress=egress(
        allowedInternetDestinations=["pypi.org:443"])), DNS,
           f"{_EG}.allowedInternetDestinations[0]"),
    Create("blocked-host-wildcard", "the block list has the same format",
           policy(egress=full_access(blockedInternetDestinations=["*"])), DNS,
           f"{_EG}.blockedInternetDestinations[0]"),
    Create("host-duplicate", "the lists are sets", policy(egress=egress(
        allowedInternetDestinations=["pypi.org", "pypi.org"])), 'Duplicate value: "pypi.org"',
           f"{_EG}.allowedInternetDestinations[1]"),
    Create("blocked-host-duplicate", "the lists are sets", policy(egress=full_access(
        blockedInternetDestinations=["a.example.net", "a.example.net"])),
           'Duplicate value: "a.example.net"', f"{_EG}.blockedInternetDestinations[1]"),
    Create("2001-destinations", "Databricks: 2000 destinations in total",
           policy(egress=egress(allowedInternetDestinations=[f"h{i}.example.com"
                                                             for i in range(2001)])),
           "must have at most 2000 items", f"{_EG}.allowedInternetDestinations"),
    # --- storage destinations -------------------------------------------------------------------
    Create("storage-two-clouds", "one entry is one destination", policy(**storage({**S3, **AZURE})),
           EXACTLY_ONE, _ST),
    Create("storage-empty", "an entry needs a destination", policy(**storage({})), EXACTLY_ONE,
           _ST),
    Create("s3-uppercase", "S3 bucket naming rules", policy(**storage(
        {"s3": {"bucketName": "Raw_Bucket", "region": "us-east-1"}})), S3_NAME[0].message,
           f"{_ST}.s3.bucketName"),
    Create("s3-ip-address", "S3 bucket naming rules", policy(**storage(
        {"s3": {"bucketName": "192.168.5.4", "region": "us-east-1"}})), S3_NAME[2].message,
           f"{_ST}.s3.bucketName"),
    Create("s3-without-region", "the AWS_S3 destination carries the bucket's region",
           policy(**storage({"s3": {"bucketName": "raw-bucket"}})), "Required value",
           f"{_ST}.s3.region"),
    Create("s3-region-unknown", "AWS has no us-east-9", policy(**storage(
        {"s3": {"bucketName": "raw-bucket", "region": "us-east-9"}})), AWS_REGION,
           f"{_ST}.s3.region"),
    Create("s3-region-azure", "an Azure region is not an AWS region", policy(**storage(
        {"s3": {"bucketName": "raw-bucket", "region": "eastus2"}})), AWS_REGION,
           f"{_ST}.s3.region"),
    Create("azure-account-uppercase", "storage account names are lowercase", policy(**storage(
        {"azure": {"storageAccount": "LakeProd", "service": "dfs"}})), AZURE_ACCOUNT,
           f"{_ST}.azure.storageAccount"),
    Create("azure-account-url", "the name, not the endpoint", policy(**storage(
        {"azure": {"storageAccount": "lakeprod.dfs.core", "service": "dfs"}})), AZURE_ACCOUNT,
           f"{_ST}.azure.storageAccount"),
    Create("azure-service-file", "blob or dfs only (narrowed from 'blob, dfs, etc.')",
           policy(**storage({"azure": {"storageAccount": "lakeprod", "service": "file"}})),
           'Unsupported value: "file"', f"{_ST}.azure.service"),
    Create("azure-service-missing", "the service is part of the destination",
           policy(**storage({"azure": {"storageAccount": "lakeprod"}})), "Required value",
           f"{_ST}.azure.service"),
    Create("gcs-goog-prefix", "Cloud Storage names must not begin with goog", policy(**storage(
        {"gcs": {"bucketName": "goog-exports"}})), GCS_NAME[2].message, f"{_ST}.gcs.bucketName"),
    Create("gcs-contains-google", "Cloud Storage names must not contain google",
           policy(**storage({"gcs": {"bucketName": "my-google-exports"}})), GCS_NAME[2].message,
           f"{_ST}.gcs.bucketName"),
    Create("gcs-ip-address", "Cloud Storage names must not be IP addresses", policy(**storage(
        {"gcs": {"bucketName": "10.1.2.3"}})), GCS_NAME[3].message, f"{_ST}.gcs.bucketName"),
    Create("gcs-uppercase", "Cloud Storage names are lowercase", policy(**storage(
        {"gcs": {"bucketName": "Exports"}})), GCS_NAME[0].message, f"{_ST}.gcs.bucketName"),
    Create("gcs-64-character-part", "each dot-separated part is at most 63 characters",
           policy(**storage({"gcs": {"bucketName": "a" * 64 + ".example"}})),
           GCS_NAME[1].message, f"{_ST}.gcs.bucketName"),
    Create("gcs-region-unknown", "a region no cloud publishes", policy(**storage(
        {"gcs": {"bucketName": "exports-bucket", "region": "marsnorth1"}})), REGION,
           f"{_ST}.gcs.region"),
    Create("workspace-destination-zero", "workspace ids are >= 1", policy(egress=egress(
        allowedDatabricksWorkspaceIds=[0])), "should be greater than or equal to 1",
           f"{_EG}.allowedDatabricksWorkspaceIds[0]"),
    Create("workspace-destination-duplicate", "the lists are sets", policy(egress=egress(
        allowedDatabricksWorkspaceIds=[7, 7])), "Duplicate value: 7",
           f"{_EG}.allowedDatabricksWorkspaceIds[1]"),
    # --- enforcement ----------------------------------------------------------------------------
    Create("products-with-enforced", "the filter only selects what runs in dry run",
           policy(egress=egress(enforcement={"mode": "ENFORCED", "dryRunProducts": ["DBSQL"]})),
           DRY_RUN_ONLY, f"{_EG}.enforcement.dryRunProducts"),
    Create("products-with-default-mode", "the default mode is ENFORCED",
           policy(egress=egress(enforcement={"dryRunProducts": ["ML_SERVING"]})), DRY_RUN_ONLY,
           f"{_EG}.enforcement.dryRunProducts"),
    Create("product-unknown", "the filter has two values", policy(egress=egress(
        enforcement={"mode": "DRY_RUN", "dryRunProducts": ["NOTEBOOKS"]})),
           'Unsupported value: "NOTEBOOKS"', f"{_EG}.enforcement.dryRunProducts[0]"),
    Create("product-duplicate", "the filter is a set", policy(egress=egress(
        enforcement={"mode": "DRY_RUN", "dryRunProducts": ["DBSQL", "DBSQL"]})),
           'Duplicate value: "DBSQL"', f"{_EG}.enforcement.dryRunProducts[1]"),
    Create("enforcement-mode-unknown", "ENFORCED or DRY_RUN", policy(egress=egress(
        enforcement={"mode": "LOG_ONLY"})), 'Unsupported value: "LOG_ONLY"',
           f"{_EG}.enforcement.mode"),
    # --- the policy id --------------------------------------------------------------------------
    Create("id-space", "an id Databricks refuses, found only at create",
           policy(networkPolicyId="restricted egress"), POLICY_ID, "spec.networkPolicyId"),
    Create("id-slash", "the id is part of the URL path", policy(networkPolicyId="a/b"),
           POLICY_ID, "spec.networkPolicyId"),
    Create("id-33-characters", "Databricks allows at most 32",
           policy(networkPolicyId="a" * 33), "Too long", "spec.networkPolicyId"),
    Create("long-name-without-id", "metadata.name falls back as the id: at most 32 characters",
           policy(LONG_NAME), NAME_NOT_AN_ID, "spec.networkPolicyId"),
    Create("account-ref-dot", "an object name, not '.'", policy(accountRef={"name": "."}),
           formats.K8S_NAME[0].message, "spec.accountRef.name"),
    # --- default-policy -------------------------------------------------------------------------
    Create("default-policy-delete", "Databricks refuses to delete default-policy",
           policy("default-policy", deletionPolicy="Delete"), DEFAULT_ORPHAN,
           "spec.deletionPolicy"),
    Create("default-policy-delete-by-default", "deletionPolicy defaults to Delete",
           policy("default-policy"), DEFAULT_ORPHAN, "spec.deletionPolicy"),
    Create("default-policy-by-id-delete", "the id, not the object name, decides",
           policy("account-default", networkPolicyId="default-policy"), DEFAULT_ORPHAN,
           "spec.deletionPolicy"),
    Create("default-policy-workspaces", "every unbound workspace uses default-policy already",
           policy("default-policy", deletionPolicy="Orphan", workspaceIds=[WORKSPACE]),
           DEFAULT_NO_WORKSPACES, "spec.workspaceIds"),
    # --- workspaceIds ---------------------------------------------------------------------------
    Create("workspace-duplicate", "workspaceIds is a set", policy(workspaceIds=[7, 7]),
           "Duplicate value: 7", "spec.workspaceIds[1]"),
    Create("workspace-zero", "workspace ids are >= 1", policy(workspaceIds=[0]),
           "should be greater than or equal to 1", "spec.workspaceIds[0]"),
    Create("501-workspaces", "our bound on workspaceIds (CEL cost)",
           policy(workspaceIds=list(range(1, 502))), "must have at most 500 items",
           "spec.workspaceIds"),
    Create("unknown-field", "the schema is structural: typos are refused",
           edited(policy(), "spec.egress.allowedDestinations", ["pypi.org"]),
           'unknown field "spec.egress.allowedDestinations"'),
]  # fmt: skip


@pytest.mark.parametrize("case", CREATES, ids=[c.id for c in CREATES])
def test_create(control_plane: Cluster, namespace: str, case: Create) -> None:
    proc = control_plane.kubectl(
        "create", "-n", namespace, "-f", "-", input=manifest(case.obj), check=False
    )
    case.check(proc)


@dataclass(frozen=True)
class Update:
    id: str
    reason: str
    obj: dict[str, Any]
    patch: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # None: must be accepted
    field: str | None = None


UPDATES = [
    Update("id-changed", "another id is another policy: this one would be orphaned",
           policy(networkPolicyId="egress-a"), {"spec": {"networkPolicyId": "egress-b"}},
           ID_IMMUTABLE, "spec.networkPolicyId"),
    Update("id-changed-effective", "the effective id changes too",
           policy(networkPolicyId="egress-a"), {"spec": {"networkPolicyId": "egress-b"}},
           EFFECTIVE_ID_IMMUTABLE, "spec.networkPolicyId"),
    Update("id-removed", "removing it would fall back to metadata.name, another policy",
           policy(networkPolicyId="egress-a"), {"spec": {"networkPolicyId": None}},
           ID_IMMUTABLE, "spec.networkPolicyId"),
    Update("id-removed-equal-to-name", "immutable once set, even where the effective id holds",
           policy(networkPolicyId="restricted"), {"spec": {"networkPolicyId": None}},
           ID_IMMUTABLE, "spec.networkPolicyId"),
    Update("id-added-other", "adding an id other than metadata.name changes the policy",
           policy(), {"spec": {"networkPolicyId": "egress-b"}}, EFFECTIVE_ID_IMMUTABLE,
           "spec.networkPolicyId"),
    Update("id-added-same", "spelling out the default id changes nothing", policy(),
           {"spec": {"networkPolicyId": "restricted"}}),
    Update("account-ref", "a policy belongs to one Databricks account", policy(),
           {"spec": {"accountRef": {"name": "other"}}}, "accountRef is immutable",
           "spec.accountRef"),
    Update("egress-tightened", "the egress part is the mutable part",
           policy(egress=full_access()),
           {"spec": {"egress": egress(allowedStorageDestinations=[S3],
                                      enforcement={"mode": "DRY_RUN"})}}),
    Update("workspaces", "bindings change in place", policy(workspaceIds=[1]),
           {"spec": {"workspaceIds": [1, 2]}}),
    Update("default-policy-delete", "default-policy stays Orphan",
           policy("default-policy", deletionPolicy="Orphan"),
           {"spec": {"deletionPolicy": "Delete"}}, DEFAULT_ORPHAN, "spec.deletionPolicy"),
    Update("default-policy-workspaces", "default-policy never lists workspaces",
           policy("default-policy", deletionPolicy="Orphan"),
           {"spec": {"workspaceIds": [WORKSPACE]}}, DEFAULT_NO_WORKSPACES, "spec.workspaceIds"),
]  # fmt: skip


@pytest.mark.parametrize("case", UPDATES, ids=[c.id for c in UPDATES])
def test_update(control_plane: Cluster, namespace: str, case: Update) -> None:
    control_plane.kubectl("create", "-n", namespace, "-f", "-", input=manifest(case.obj))
    proc = control_plane.kubectl(
        "patch", RESOURCE, case.obj["metadata"]["name"], "-n", namespace,
        "--type=merge", "-p", json.dumps(case.patch), check=False,
    )  # fmt: skip
    Create(case.id, case.reason, case.obj, case.error, case.field).check(proc)


def _get_json(cluster: Cluster, namespace: str, resource: str) -> dict[str, Any]:
    out = cluster.kubectl("get", resource, "-n", namespace, "-o", "json").stdout
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def test_server_defaults_match_the_model(control_plane: Cluster, namespace: str) -> None:
    control_plane.kubectl("create", "-n", namespace, "-f", "-", input=manifest(policy()))
    stored = _get_json(control_plane, namespace, f"{RESOURCE}/restricted")
    assert stored["spec"]["deletionPolicy"] == "Delete"
    assert stored["spec"]["managementPolicy"] == "Manage"
    assert stored["spec"]["egress"]["enforcement"] == {"mode": "ENFORCED", "dryRunProducts": []}
    parsed = NetworkPolicyResource.from_body(stored)
    assert parsed.policy_id == "restricted"
    assert not parsed.is_default
    assert parsed.spec.egress.network_access() == {
        "restriction_mode": "RESTRICTED_ACCESS",
        "allowed_internet_destinations": [
            {"destination": "pypi.org", "internet_destination_type": "DNS_NAME"}
        ],
    }, "a defaulted enforcement sends no policy_enforcement"


def test_short_name_category_and_printer_columns(control_plane: Cluster, namespace: str) -> None:
    control_plane.kubectl("create", "-n", namespace, "-f", "-", input=manifest(policy()))
    status = {
        "status": {
            "id": "restricted",
            "conditions": [
                {"type": t, "status": "True", "reason": "Available", "message": "",
                 "lastTransitionTime": "2026-11-28T03:00:00Z"} for t in ("Ready", "Synced")
            ],
            "atProvider": {"networkPolicyId": "restricted", "restrictionMode": "RESTRICTED_ACCESS",
                           "enforcementMode": "ENFORCED", "destinationCounts": {}},
        }
    }  # fmt: skip
    control_plane.kubectl(
        "patch", f"{RESOURCE}/restricted", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps(status),
    )  # fmt: skip
    stored = _get_json(control_plane, namespace, f"{RESOURCE}/restricted")
    assert stored["status"]["atProvider"]["destinationCounts"] == {
        "allowedInternet": 0,
        "blockedInternet": 0,
        "allowedStorage": 0,
        "allowedDatabricksWorkspaces": 0,
    }, "status defaults are the model's"
    assert NetworkPolicyResource.from_body(stored).status.at_provider is not None

    listed = control_plane.kubectl("get", "databricks", "-n", namespace).stdout
    assert "networkpolicy.networking.ncc-operator.io/restricted" in listed, listed
    header, first = control_plane.kubectl("get", "dbxnp", "-n", namespace).stdout.splitlines()
    assert header.split() == ["NAME", "READY", "SYNCED", "ID", "RESTRICTION", "ENFORCEMENT", "AGE"]
    assert first.split()[:6] == [
        "restricted", "True", "True", "restricted", "RESTRICTED_ACCESS", "ENFORCED",
    ]  # fmt: skip


def _explain(cluster: Cluster, path: str) -> str:
    # The OpenAPI document is published a moment after the CRD is Established: poll briefly.
    deadline = time.monotonic() + 30
    while True:
        proc = cluster.kubectl(
            "explain", path, f"--api-version={API_VERSION}", "--recursive=false", check=False
        )
        if proc.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert proc.returncode == 0, proc.stderr
    return " ".join(proc.stdout.split())


def test_kubectl_explain_describes_every_egress_field(control_plane: Cluster) -> None:
    text = _explain(control_plane, "networkpolicies.spec.egress")
    assert "The egress part of the policy" in text
    for name in (
        "restrictionMode", "allowedInternetDestinations", "blockedInternetDestinations",
        "allowedStorageDestinations", "allowedDatabricksWorkspaceIds", "enforcement",
    ):  # fmt: skip
        assert f"{name} <" in text, f"{name} missing from kubectl explain: {text}"
    assert "RESTRICTED_ACCESS only: host names serverless compute may reach" in text
    storage_text = _explain(control_plane, "networkpolicies.spec.egress.allowedStorageDestinations")
    for name in ("s3", "azure", "gcs"):
        assert f"{name} <Object>" in storage_text, storage_text
