"""The CRDs' schemas and CEL rules, enforced by a real kube-apiserver.

Every case says why it exists. Invalid objects are rejected with a message fragment that the
user will see in kubectl's output; valid ones are accepted; immutable fields are refused on update
while the mutable ones are not. Objects are built by breaking one field of a valid object.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from ncc_operator.models import (
    DatabricksAccountResource,
    NetworkConnectivityConfigResource,
    PrivateEndpointRuleResource,
)
from ncc_testenv.cluster import Cluster

from ..models.doc_examples import doc_examples
from .conftest import (
    ATTACHMENT,
    RESOURCE_ID,
    account,
    aws_rule,
    azure_rule,
    edited,
    gcp_rule,
    manifest,
    ncc,
)

pytestmark = pytest.mark.usefixtures("ncc_crds")

NLB_SERVICE = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
HOST_RULE = "must be an absolute http:// or https:// URL of a host name"
TEN_DOMAINS = [f"svc{i}.internal.example.com" for i in range(10)]
ELEVEN_DOMAINS = [*TEN_DOMAINS, "svc10.internal.example.com"]


@dataclass(frozen=True)
class Create:
    id: str
    reason: str
    obj: dict[str, Any]
    error: str | None = None  # None: must be accepted


CREATES = [
    # --- accepted -------------------------------------------------------------------------------
    Create("account-m2m-emulator", "http host is allowed for local emulators",
           account(host="http://127.0.0.1:8080")),
    Create("account-workload-identity", "secretless auth needs only the client id",
           account(auth={"workloadIdentity": {"clientId": "sp-app-id"}})),
    Create("account-azure-client-secret", "tenant + Secret",
           account(auth={"azureClientSecret": {"tenantId": TENANT, "secretRef": {"name": "s"}}})),
    Create("account-token", "PAT (discouraged, still supported)",
           account(cloud="aws", auth={"token": {"secretRef": {"name": "pat"}}})),
    Create("ncc-minimal", "metadata.name is a valid Databricks name", ncc()),
    Create("ncc-dotted-metadata-name-with-spec-name", "spec.name rescues an invalid metadata.name",
           ncc("ncc.prod.example.com", name="ncc-prod")),
    Create("ncc-selector", "from=Selector with a selector",
           ncc(allowedRuleNamespaces={"from": "Selector", "selector": {"matchExpressions": [
               {"key": "team", "operator": "In", "values": ["data"]}]}})),
    Create("ncc-50-workspaces", "Databricks allows 50 workspaces per NCC",
           ncc(workspaceIds=list(range(1, 51)))),
    Create("rule-azure-group", "first-party Azure target", azure_rule()),
    Create("rule-azure-lowercase-resource-id", "Azure ids are case-insensitive (az CLI output)",
           azure_rule(resourceId=RESOURCE_ID.replace("resourceGroups", "resourcegroups"))),
    Create("rule-azure-pls-10-domains", "Private Link Service with the maximum of 10 domains",
           azure_rule(groupId=None, domainNames=TEN_DOMAINS)),
    Create("rule-aws-s3-enabled", "enabled is allowed for the S3 service",
           aws_rule(resourceNames=["bucket-a"], enabled=True)),
    Create("rule-aws-buckets-only", "S3 rule with only bucket names (as the TF acceptance test)",
           aws_rule(endpointService=None, resourceNames=["bucket-a"], enabled=False)),
    Create("rule-aws-nlb-domains", "customer VPC endpoint service with domain names",
           aws_rule(endpointService=NLB_SERVICE, domainNames=TEN_DOMAINS)),
    Create("rule-gcp-attachment-domains", "a PSC service attachment with domain names",
           gcp_rule(domainNames=["db.orders.internal"])),
    Create("rule-gcp-google-apis", "Google API endpoints (Private Preview)",
           gcp_rule(serviceAttachment=None, googleApiEndpoints=["storage.googleapis.com",
                                                                "googleapis.com"])),
    Create("rule-gcp-all-vpc-sc", "all VPC-SC services (Private Preview)",
           gcp_rule(serviceAttachment=None, allVpcScServices=True)),
    Create("rule-cross-namespace-ref", "namespace in nccRef is checked by the operator, not here",
           edited(azure_rule(), "spec.nccRef.namespace", "platform")),
    # --- DatabricksAccount rejected -------------------------------------------------------------
    Create("account-no-auth", "an account needs one auth method", account(auth={}),
           "auth must set exactly one of oauthM2M, workloadIdentity, azureClientSecret or token"),
    Create("account-two-auth", "two methods would be ambiguous",
           account(auth={"oauthM2M": {"secretRef": {"name": "s"}},
                         "token": {"secretRef": {"name": "p"}}}),
           "auth must set exactly one of oauthM2M"),
    Create("account-ftp-host", "only http(s) hosts", account(host="ftp://accounts.example"),
           HOST_RULE),
    Create("account-host-without-scheme", "a bare host name is not a URL",
           account(host="accounts.cloud.databricks.com"), HOST_RULE),
    Create("account-host-with-path", "API paths are appended to the host",
           account(host="https://accounts.cloud.databricks.com/api/2.0"),
           HOST_RULE),
    Create("account-unknown-cloud", "cloud is a closed enum", account(cloud="ibm"),
           'Unsupported value: "ibm"'),
    Create("account-id-with-slash", "the account id goes into URL paths",
           account(accountId="abc/../def"), "spec.accountId in body should match"),
    Create("account-zero-rate", "a rate of 0 would stall every call",
           account(rateLimit={"requestsPerSecond": 0}),
           "should be greater than or equal to 0.1"),
    # --- NetworkConnectivityConfig rejected -----------------------------------------------------
    Create("ncc-dotted-metadata-name", "metadata.name falls back as Databricks name",
           ncc("ncc.prod.example.com"), "set spec.name to a valid name"),
    Create("ncc-short-metadata-name", "Databricks needs 3-30 characters", ncc("ab"),
           "metadata.name is not a valid Databricks NCC name"),
    Create("ncc-bad-spec-name", "spec.name must match the Databricks pattern",
           ncc(name="ncc prod"), "spec.name in body should match '^[0-9a-zA-Z_-]{3,30}$'"),
    Create("ncc-selector-missing", "from=Selector without a selector selects nothing useful",
           ncc(allowedRuleNamespaces={"from": "Selector"}),
           "selector is required when from is Selector"),
    Create("ncc-selector-with-default-from", "a selector is ignored unless from=Selector",
           ncc(allowedRuleNamespaces={"selector": {"matchLabels": {"a": "b"}}}),
           "selector is required when from is Selector, and allowed only then"),
    Create("ncc-in-without-values", "In with no values matches nothing (LabelSelector rule)",
           ncc(allowedRuleNamespaces={"from": "Selector", "selector": {
               "matchExpressions": [{"key": "team", "operator": "In"}]}}),
           "values must be non-empty for In and NotIn"),
    Create("ncc-51-workspaces", "Databricks: 50 workspaces per NCC",
           ncc(workspaceIds=list(range(1, 52))), "must have at most 50 items"),
    Create("ncc-duplicate-workspace", "workspaceIds is a set", ncc(workspaceIds=[7, 7]),
           "Duplicate value: 7"),
    Create("ncc-region-display-name", "Databricks wants eastus2, not 'East US 2'",
           ncc(region="East US 2"), "spec.region in body should match"),
    # --- PrivateEndpointRule rejected -----------------------------------------------------------
    Create("rule-no-target", "a rule needs a target",
           edited(azure_rule(), "spec.azure", None),
           "exactly one of spec.azure, spec.aws or spec.gcp"),
    Create("rule-two-targets", "one rule is one endpoint",
           edited(azure_rule(), "spec.aws", {"endpointService": NLB_SERVICE}),
           "exactly one of spec.azure, spec.aws or spec.gcp"),
    Create("rule-aws-and-gcp", "one rule is one endpoint, on one cloud",
           edited(aws_rule(), "spec.gcp", {"allVpcScServices": True}),
           "exactly one of spec.azure, spec.aws or spec.gcp"),
    Create("rule-gcp-no-target", "a GCP rule needs one of its three targets",
           gcp_rule(serviceAttachment=None), "gcp must set exactly one of serviceAttachment"),
    Create("rule-gcp-two-targets", "the gcp_endpoint targets are a oneof (SDK, Terraform #5973)",
           gcp_rule(allVpcScServices=True), "gcp must set exactly one of serviceAttachment"),
    Create("rule-gcp-all-vpc-sc-false", "false would read as a target that is not one",
           gcp_rule(serviceAttachment=None, allVpcScServices=False),
           "gcp.allVpcScServices can only be true"),
    Create("rule-gcp-domains-on-google-apis", "domain names go with service attachments only",
           gcp_rule(serviceAttachment=None, googleApiEndpoints=["storage.googleapis.com"],
                    domainNames=["a.example.com"]),
           "gcp.domainNames go with gcp.serviceAttachment only"),
    Create("rule-gcp-attachment-url", "the relative name, not the compute API URL",
           gcp_rule(serviceAttachment="https://www.googleapis.com/compute/v1/" + ATTACHMENT),
           "must be a Private Service Connect service attachment of a real Google Cloud region"),
    Create("rule-gcp-attachment-unknown-region", "a region Google Cloud does not have",
           gcp_rule(serviceAttachment=ATTACHMENT.replace("us-east4", "us-east99")),
           "must be a Private Service Connect service attachment of a real Google Cloud region"),
    Create("rule-gcp-not-google-api", "only Google API hosts are Google API endpoints",
           gcp_rule(serviceAttachment=None, googleApiEndpoints=["storage.googleapis.com.evil.io"]),
           "must be a Google API host name"),
    Create("rule-azure-bad-resource-id", "catch a truncated id before Databricks does",
           azure_rule(resourceId="/subscriptions/x/resourceGroups/rg/storageAccounts/s"),
           "must be an Azure resource id of a top-level resource: /subscriptions/<GUID>/"
           "resourceGroups/<resource group>/providers/<Namespace.Provider>/<type>/<name>"),
    Create("rule-azure-group-and-domains", "first-party and PLS targets are exclusive",
           azure_rule(domainNames=["a.example.com"]), "azure must set exactly one of groupId"),
    Create("rule-azure-neither", "an Azure target needs a sub-resource or domains",
           azure_rule(groupId=None), "azure must set exactly one of groupId"),
    Create("rule-azure-11-domains", "Databricks: at most 10 domain names per rule",
           azure_rule(groupId=None, domainNames=ELEVEN_DOMAINS), "must have at most 10 items"),
    Create("rule-aws-11-domains", "Databricks: at most 10 domain names per rule",
           aws_rule(endpointService=NLB_SERVICE, domainNames=ELEVEN_DOMAINS),
           "must have at most 10 items"),
    Create("rule-domain-with-scheme", "domain names are DNS names, not URLs",
           aws_rule(endpointService=NLB_SERVICE, domainNames=["https://svc.example.com"]),
           "each domain name must be a fully qualified RFC 1123 host name"),
    Create("rule-aws-dynamodb", "Databricks does not support NCC firewall for DynamoDB",
           aws_rule(endpointService="com.amazonaws.us-east-1.dynamodb"),
           "Databricks does not support NCC firewall (private endpoint rules) for DynamoDB"),
    Create("rule-aws-enabled-on-nlb", "enabled is honoured for S3 only",
           aws_rule(endpointService=NLB_SERVICE, enabled=True),
           "aws.enabled applies only to S3 rules"),
    Create("rule-aws-buckets-and-domains", "bucket names and domain names are exclusive",
           aws_rule(resourceNames=["bucket-a"], domainNames=["a.example.com"]),
           "are mutually exclusive"),
    Create("rule-aws-neither", "an AWS target needs a service or bucket names",
           aws_rule(endpointService=None, domainNames=["a.example.com"]),
           "aws needs endpointService or resourceNames"),
    Create("rule-aws-buckets-on-nlb", "bucket names need the S3 service",
           aws_rule(endpointService=NLB_SERVICE, resourceNames=["bucket-a"]),
           "they need an S3 endpointService"),
    Create("rule-aws-short-service", "a vpce-svc id alone is not a service name",
           aws_rule(endpointService="vpce-svc-0123456789abcdef0"),
           "must be a full endpoint service name of a real AWS region"),
    Create("rule-unknown-field", "the schema is structural: typos are refused",
           edited(azure_rule(), "spec.azure.groupID", "blob"),
           'unknown field "spec.azure.groupID"'),
]  # fmt: skip


@pytest.mark.parametrize("case", CREATES, ids=[c.id for c in CREATES])
def test_create(control_plane: Cluster, namespace: str, case: Create) -> None:
    proc = control_plane.kubectl(
        "create", "-n", namespace, "-f", "-", input=manifest(case.obj), check=False
    )
    if case.error is None:
        assert proc.returncode == 0, f"{case.reason}: {proc.stderr}"
    else:
        assert proc.returncode != 0, f"{case.reason}: accepted"
        assert case.error in proc.stderr, f"{case.reason}: {proc.stderr}"


@dataclass(frozen=True)
class Update:
    id: str
    reason: str
    obj: dict[str, Any]
    patch: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # None: must be accepted


UPDATES = [
    Update("account-id", "every NCC and rule lives in that account", account(),
           {"spec": {"accountId": "11111111-2222-3333-4444-555555555555"}},
           "accountId is immutable"),
    Update("account-cloud", "the cloud of an account never changes", account(),
           {"spec": {"cloud": "aws"}}, "cloud is immutable"),
    Update("account-switch-auth", "credentials rotate: auth is mutable", account(),
           {"spec": {"auth": {"oauthM2M": None, "workloadIdentity": {"clientId": "c"}}}}),
    Update("ncc-region", "an NCC cannot move regions", ncc(), {"spec": {"region": "westus"}},
           "region is immutable"),
    Update("ncc-name-changed", "the name is the natural key", ncc(name="ncc-a"),
           {"spec": {"name": "ncc-b"}}, "spec.name is immutable"),
    Update("ncc-name-added", "adding a name would rename the Databricks NCC", ncc(),
           {"spec": {"name": "ncc-b"}}, "cannot be changed, added or removed"),
    Update("ncc-name-removed", "removing it would fall back to another name", ncc(name="ncc-a"),
           {"spec": {"name": None}}, "cannot be changed, added or removed"),
    Update("ncc-external-id-changed", "adopting another NCC would orphan this one",
           ncc(externalId="id-1"), {"spec": {"externalId": "id-2"}},
           "spec.externalId is immutable once set"),
    Update("ncc-external-id-removed", "forgetting the id would create a duplicate",
           ncc(externalId="id-1"), {"spec": {"externalId": None}},
           "spec.externalId is immutable once set"),
    Update("ncc-external-id-added", "adoption may be declared later", ncc(),
           {"spec": {"externalId": "id-1"}}),
    Update("ncc-account-ref", "an NCC cannot move between accounts", ncc(),
           {"spec": {"accountRef": {"name": "other"}}}, "accountRef is immutable"),
    Update("ncc-workspaces", "attachments are the mutable part", ncc(workspaceIds=[1]),
           {"spec": {"workspaceIds": [1, 2], "deletionPolicy": "Orphan"}}),
    Update("rule-azure-resource-id", "the target is the rule's identity", azure_rule(),
           {"spec": {"azure": {"resourceId": RESOURCE_ID + "2"}}},
           "azure.resourceId is immutable"),
    Update("rule-azure-group-id", "the sub-resource is part of the identity", azure_rule(),
           {"spec": {"azure": {"groupId": "dfs"}}}, "azure.groupId is immutable"),
    Update("rule-azure-to-aws", "switching clouds is a different rule", azure_rule(),
           {"spec": {"azure": None, "aws": {"endpointService": NLB_SERVICE}}},
           "the target cloud is immutable"),
    Update("rule-azure-domains", "domain names are updated in place (PATCH update_mask)",
           azure_rule(groupId=None, domainNames=["a.example.com"]),
           {"spec": {"azure": {"domainNames": ["a.example.com", "b.example.com"]}}}),
    Update("rule-aws-service", "the endpoint service is part of the identity",
           aws_rule(endpointService=NLB_SERVICE),
           {"spec": {"aws": {"endpointService": NLB_SERVICE[:-1] + "1"}}},
           "aws.endpointService is immutable"),
    Update("rule-aws-service-added", "an S3 rule cannot gain a service later",
           aws_rule(endpointService=None, resourceNames=["bucket-a"]),
           {"spec": {"aws": {"endpointService": "com.amazonaws.us-east-1.s3"}}},
           "aws.endpointService is immutable"),
    Update("rule-aws-s3-mutable", "bucket names and enabled are updated in place",
           aws_rule(resourceNames=["bucket-a"]),
           {"spec": {"aws": {"resourceNames": ["bucket-a", "bucket-b"], "enabled": True}}}),
    Update("rule-gcp-domains", "a service attachment's domain names are updated in place",
           gcp_rule(domainNames=["db.orders.internal"]),
           {"spec": {"gcp": {"domainNames": ["db.orders.internal", "ro.orders.internal"]}}}),
    Update("rule-gcp-attachment", "the service attachment is the rule's identity", gcp_rule(),
           {"spec": {"gcp": {"serviceAttachment": ATTACHMENT + "-2"}}},
           "the gcp target is immutable in v1alpha1"),
    Update("rule-gcp-google-apis", "Google API targets are immutable in v1alpha1",
           gcp_rule(serviceAttachment=None, googleApiEndpoints=["storage.googleapis.com"]),
           {"spec": {"gcp": {"googleApiEndpoints": ["bigquery.googleapis.com"]}}},
           "the gcp target is immutable in v1alpha1"),
    Update("rule-gcp-switch-target", "an attachment rule cannot become an API rule", gcp_rule(),
           {"spec": {"gcp": {"serviceAttachment": None, "allVpcScServices": True}}},
           "the gcp target is immutable in v1alpha1"),
    Update("rule-aws-to-gcp", "switching clouds is a different rule", aws_rule(),
           {"spec": {"aws": None, "gcp": {"allVpcScServices": True}}},
           "the target cloud is immutable"),
    Update("rule-external-id", "adopting another rule would orphan this one",
           edited(azure_rule(), "spec.externalId", "rule-1"), {"spec": {"externalId": "rule-2"}},
           "spec.externalId is immutable once set"),
    Update("rule-ncc-ref", "a rule cannot move to another NCC", azure_rule(),
           {"spec": {"nccRef": {"name": "other"}}}, "nccRef is immutable"),
]  # fmt: skip


@pytest.mark.parametrize("case", UPDATES, ids=[c.id for c in UPDATES])
def test_update(control_plane: Cluster, namespace: str, case: Update) -> None:
    control_plane.kubectl("create", "-n", namespace, "-f", "-", input=manifest(case.obj))
    kind, name = case.obj["kind"].lower(), case.obj["metadata"]["name"]
    proc = control_plane.kubectl(
        "patch", f"{kind}.networking.ncc-operator.io", name, "-n", namespace,
        "--type=merge", "-p", json.dumps(case.patch), check=False,
    )  # fmt: skip
    if case.error is None:
        assert proc.returncode == 0, f"{case.reason}: {proc.stderr}"
    else:
        assert proc.returncode != 0, f"{case.reason}: accepted"
        assert case.error in proc.stderr, f"{case.reason}: {proc.stderr}"


def _get_json(cluster: Cluster, namespace: str, resource: str) -> dict[str, Any]:
    out = cluster.kubectl("get", resource, "-n", namespace, "-o", "json").stdout
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def test_server_defaults_and_models_read_stored_objects(
    control_plane: Cluster, namespace: str
) -> None:
    objects = [account(), ncc(), aws_rule(resourceNames=["bucket-a"])]
    control_plane.kubectl(
        "create", "-n", namespace, "-f", "-", input="---\n".join(map(manifest, objects))
    )
    stored = _get_json(control_plane, namespace, "databricksaccount/acct")
    acct = DatabricksAccountResource.from_body(stored)
    assert stored["spec"]["rateLimit"] == {
        "requestsPerSecond": 15,
        "burst": 30,
        "maxConcurrency": 10,
    }
    assert acct.spec.auth.oauth_m2m is not None
    assert acct.spec.auth.oauth_m2m.secret_ref.client_secret_key == "client-secret"

    stored = _get_json(control_plane, namespace, "networkconnectivityconfig/ncc-eastus2")
    assert stored["spec"]["allowedRuleNamespaces"] == {"from": "Same"}
    assert stored["spec"]["deletionPolicy"] == "Delete"
    assert NetworkConnectivityConfigResource.from_body(stored).databricks_name == "ncc-eastus2"

    stored = _get_json(control_plane, namespace, "privateendpointrule/s3")
    assert stored["spec"]["managementPolicy"] == "Manage"
    assert PrivateEndpointRuleResource.from_body(stored).spec.aws is not None


def test_category_lists_all_kinds_and_printer_columns(
    control_plane: Cluster, namespace: str
) -> None:
    objects = [account(), ncc(), azure_rule()]
    control_plane.kubectl(
        "create", "-n", namespace, "-f", "-", input="---\n".join(map(manifest, objects))
    )
    status = {
        "status": {
            "id": "rule-123",
            "conditions": [
                {"type": t, "status": "True", "reason": "Available", "message": "",
                 "lastTransitionTime": "2026-11-28T03:00:00Z"} for t in ("Ready", "Synced")
            ],
            "atProvider": {"connectionState": "ESTABLISHED"},
        }
    }  # fmt: skip
    control_plane.kubectl(
        "patch", "privateendpointrule/blob", "-n", namespace, "--subresource=status",
        "--type=merge", "-p", json.dumps(status),
    )  # fmt: skip

    listed = control_plane.kubectl("get", "databricks", "-n", namespace).stdout
    for expected in ("databricksaccount.", "/acct", "networkconnectivityconfig.", "/ncc-eastus2",
                     "privateendpointrule.", "/blob"):  # fmt: skip
        assert expected in listed, listed

    for short, headers, row in [
        ("dbxacct", ["NAME", "READY", "SYNCED", "ID", "CLOUD", "AGE"], ["acct", "azure"]),
        ("ncc", ["NAME", "READY", "SYNCED", "ID", "REGION", "AGE"], ["ncc-eastus2", "eastus2"]),
        (
            "per",
            ["NAME", "READY", "SYNCED", "ID", "STATE", "NCC", "AGE"],
            ["blob", "True", "True", "rule-123", "ESTABLISHED", "ncc-eastus2"],
        ),
    ]:
        header, first = control_plane.kubectl("get", short, "-n", namespace).stdout.splitlines()
        assert header.split() == headers
        assert first.split()[: len(row)] == row


def test_kubectl_explain_shows_field_descriptions(control_plane: Cluster) -> None:
    # The OpenAPI document is published a moment after the CRD is Established: poll briefly.
    deadline = time.monotonic() + 30
    while True:
        proc = control_plane.kubectl(
            "explain", "privateendpointrules.spec.aws.enabled", check=False
        )
        if proc.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "S3 only: whether serverless egress to S3 uses this endpoint" in text
    assert "<boolean>" in proc.stdout


def test_docs_examples_are_accepted(control_plane: Cluster, namespace: str) -> None:
    # Server-side dry run: full schema + CEL validation of what docs/api.md tells users to apply.
    examples = doc_examples()
    for obj in examples:
        obj["metadata"].pop("namespace", None)
    proc = control_plane.kubectl(
        "create", "--dry-run=server", "-n", namespace, "-f", "-",
        input="---\n".join(map(manifest, examples)), check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("(server dry run)") == len(examples), proc.stdout
