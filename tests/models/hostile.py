"""One table of hostile (and borderline valid) values, run twice: against the models
(``test_hostile.py``) and against a real apiserver with the CRDs (``tests/crds/
test_admission_hostile.py``), so "the models refuse what the CRD refuses" is proven case by case.

Each case breaks one field of a valid object. ``error`` is what the user must read on both sides
(the rule, quoted); ``model_error`` only where pydantic words a schema bound differently.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ncc_operator.models import formats

from .bodies import ACCOUNT_ID, RESOURCE_ID

API_VERSION = "networking.ncc-operator.io/v1alpha1"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
NLB = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"


def _obj(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def account() -> dict[str, Any]:
    return _obj("DatabricksAccount", "acct", {
        "accountId": ACCOUNT_ID, "cloud": "azure",
        "auth": {"oauthM2M": {"secretRef": {"name": "dbx-sp"}}},
    })  # fmt: skip


def account_entra() -> dict[str, Any]:
    return _obj("DatabricksAccount", "acct-entra", {
        "accountId": ACCOUNT_ID, "cloud": "azure",
        "auth": {"azureClientSecret": {"tenantId": TENANT, "secretRef": {"name": "entra"}}},
    })  # fmt: skip


def account_pat() -> dict[str, Any]:
    return _obj("DatabricksAccount", "acct-pat", {
        "accountId": ACCOUNT_ID, "cloud": "aws", "auth": {"token": {"secretRef": {"name": "pat"}}},
    })  # fmt: skip


def ncc() -> dict[str, Any]:
    return _obj("NetworkConnectivityConfig", "ncc-eastus2",
                {"accountRef": {"name": "acct"}, "region": "eastus2"})  # fmt: skip


def azure_rule() -> dict[str, Any]:
    return _obj("PrivateEndpointRule", "blob", {
        "nccRef": {"name": "ncc-eastus2"}, "azure": {"resourceId": RESOURCE_ID, "groupId": "blob"},
    })  # fmt: skip


def azure_pls() -> dict[str, Any]:
    pls = RESOURCE_ID.replace("Storage/storageAccounts", "Network/privateLinkServices")
    return _obj("PrivateEndpointRule", "pls", {
        "nccRef": {"name": "ncc-eastus2"},
        "azure": {"resourceId": pls, "domainNames": ["db.corp.example.com"]},
    })  # fmt: skip


def aws_s3() -> dict[str, Any]:
    return _obj("PrivateEndpointRule", "s3", {
        "nccRef": {"name": "ncc-us-east-1"},
        "aws": {"endpointService": "com.amazonaws.us-east-1.s3", "resourceNames": ["bucket-a"]},
    })  # fmt: skip


def aws_nlb() -> dict[str, Any]:
    return _obj("PrivateEndpointRule", "nlb", {
        "nccRef": {"name": "ncc-us-east-1"},
        "aws": {"endpointService": NLB, "domainNames": ["svc.internal.example.com"]},
    })  # fmt: skip


ATTACHMENT = "projects/my-project/regions/us-east4/serviceAttachments/orders-db"


def gcp_psc() -> dict[str, Any]:
    return _obj("PrivateEndpointRule", "psc", {
        "nccRef": {"name": "ncc-us-east4"},
        "gcp": {"serviceAttachment": ATTACHMENT, "domainNames": ["db.orders.internal"]},
    })  # fmt: skip


def gcp_apis() -> dict[str, Any]:
    return _obj("PrivateEndpointRule", "apis", {
        "nccRef": {"name": "ncc-us-east4"},
        "gcp": {"googleApiEndpoints": ["storage.googleapis.com"]},
    })  # fmt: skip


def network_policy() -> dict[str, Any]:
    return _obj("NetworkPolicy", "restricted", {
        "accountRef": {"name": "acct"},
        "egress": {"restrictionMode": "RESTRICTED_ACCESS",
                   "allowedInternetDestinations": ["pypi.org"]},
    })  # fmt: skip


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    base: Callable[[], dict[str, Any]]
    path: str
    value: Any
    error: str | None = None  # None: must be accepted
    model_error: str | None = None

    def obj(self) -> dict[str, Any]:
        """The base object with the dotted ``path`` set to ``value`` (``None`` deletes it)."""
        result = copy.deepcopy(self.base())
        *parents, leaf = self.path.split(".")
        node = result
        for key in parents:
            node = node.setdefault(key, {})
        if self.value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = self.value
        return result


def _msg(fmt: formats.Format, index: int = 0) -> str:
    return fmt[index].message


RID = _msg(formats.AZURE_RESOURCE_ID)
GROUP = _msg(formats.AZURE_GROUP_ID)
DNS = _msg(formats.DOMAIN_NAME)
S3 = formats.S3_BUCKET_NAME
REGION = _msg(formats.REGION)
SERVICE = _msg(formats.AWS_ENDPOINT_SERVICE)
ATTACH = _msg(formats.GCP_SERVICE_ATTACHMENT)
GOOGLE_API = _msg(formats.GOOGLE_API_ENDPOINT)
_GCP = "spec.gcp"
HOST = _msg(formats.ACCOUNT_HOST)
NAME = _msg(formats.K8S_NAME)
NAMESPACE = _msg(formats.K8S_NAMESPACE)
TENANT_ID = _msg(formats.TENANT_ID)
ID_PATTERN = "should match '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$'"
_SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
_STORAGE = "/providers/Microsoft.Storage/storageAccounts/mystorage"
_AZ, _AWS = "spec.azure", "spec.aws"
_M2M_SECRET = "spec.auth.oauthM2M.secretRef.name"
POLICY_ID = _msg(formats.NETWORK_POLICY_ID)
AWS_REGION = _msg(formats.AWS_REGION)
AZURE_ACCOUNT = _msg(formats.AZURE_STORAGE_ACCOUNT)
GCS = formats.GCS_BUCKET_NAME
_ALLOW, _BLOCK = (
    "spec.egress.allowedInternetDestinations",
    "spec.egress.blockedInternetDestinations",
)
_STORE = "spec.egress.allowedStorageDestinations"


def _s3(bucket: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    return [{"s3": {"bucketName": bucket, "region": region}}]


def _azure(account: str) -> list[dict[str, Any]]:
    return [{"azure": {"storageAccount": account, "service": "dfs"}}]


def _gcs(bucket: str, region: str | None = None) -> list[dict[str, Any]]:
    return [{"gcs": {"bucketName": bucket, **({"region": region} if region else {})}}]


_RPS = "spec.rateLimit.requestsPerSecond"

CASES: list[Case] = [
    # --- a. azure.resourceId: the Azure resource id grammar, top-level resources only ------------
    Case("rid-child-resource", "a child resource is not a Private Link target", azure_rule,
         f"{_AZ}.resourceId", RESOURCE_ID + "/blobServices/default", RID),
    Case("rid-subscription-not-guid", "subscription ids are GUIDs", azure_rule,
         f"{_AZ}.resourceId", f"/subscriptions/prod/resourceGroups/rg{_STORAGE}", RID),
    Case("rid-space", "no spaces in an id", azure_rule,
         f"{_AZ}.resourceId", RESOURCE_ID.replace("mystorage", "my storage"), RID),
    Case("rid-newline", "a newline would split log lines and messages", azure_rule,
         f"{_AZ}.resourceId", RESOURCE_ID + "\n", RID),
    Case("rid-query", "a query string is not part of an id", azure_rule,
         f"{_AZ}.resourceId", RESOURCE_ID + "?api-version=2023-01-01", RID),
    Case("rid-fragment", "a fragment is not part of an id", azure_rule,
         f"{_AZ}.resourceId", RESOURCE_ID + "#overview", RID),
    Case("rid-portal-url", "a pasted portal URL is not an id", azure_rule,
         f"{_AZ}.resourceId", "https://portal.azure.com/#@contoso/resource" + RESOURCE_ID, RID),
    Case("rid-rg-ends-in-period", "Azure: resource group names cannot end in a period",
         azure_rule, f"{_AZ}.resourceId", f"{_SUB}/resourceGroups/rg.{_STORAGE}", RID),
    Case("rid-rg-91-chars", "Azure: resource group names are 1-90 characters", azure_rule,
         f"{_AZ}.resourceId", f"{_SUB}/resourceGroups/{'r' * 91}{_STORAGE}", RID),
    Case("rid-namespace-without-provider", "providers are Namespace.Provider", azure_rule,
         f"{_AZ}.resourceId", f"{_SUB}/resourceGroups/rg/providers/Storage/storageAccounts/s", RID),
    Case("rid-upper-case", "valid: Azure resource ids are case-insensitive", azure_rule,
         f"{_AZ}.resourceId", RESOURCE_ID.upper()),
    Case("rid-rg-90-chars-parentheses", "valid: 90 characters with '(', ')', '.', '_', '-'",
         azure_rule, f"{_AZ}.resourceId",
         f"{_SUB}/resourceGroups/{'r' * 80}.(prod)_-1{_STORAGE}"),
    # --- b. azure.groupId: a plain identifier -------------------------------------------------
    Case("group-rtl-override", "an RTL override hides what the value says", azure_rule,
         f"{_AZ}.groupId", "blob\u202e", GROUP),
    Case("group-control-char", "control characters", azure_rule, f"{_AZ}.groupId", "blob\x07",
         GROUP),
    Case("group-space", "two sub-resources are two rules", azure_rule, f"{_AZ}.groupId",
         "blob dfs", GROUP),
    Case("group-leading-digit", "sub-resource names begin with a letter", azure_rule,
         f"{_AZ}.groupId", "1blob", GROUP),
    Case("group-sql-server", "valid: camelCase first-party sub-resource", azure_rule,
         f"{_AZ}.groupId", "sqlServer"),
    # --- c. domain names: fully qualified RFC 1123 host names ---------------------------------
    Case("dns-leading-dot", "no leading dot", azure_pls, f"{_AZ}.domainNames", [".example.com"],
         DNS),
    Case("dns-empty-label", "no empty label", azure_pls, f"{_AZ}.domainNames",
         ["a..example.com"], DNS),
    Case("dns-stars", "no wildcards", azure_pls, f"{_AZ}.domainNames", ["***"], DNS),
    Case("dns-wildcard", "no wildcard labels", aws_nlb, f"{_AWS}.domainNames", ["*.example.com"],
         DNS),
    Case("dns-64-char-label", "labels are at most 63 characters", aws_nlb, f"{_AWS}.domainNames",
         ["a" * 64 + ".example.com"], DNS),
    Case("dns-single-label", "a bare label is not a fully qualified name", aws_nlb,
         f"{_AWS}.domainNames", ["db"], DNS),
    Case("dns-ip-address", "an IP address is not a host name (RFC 1123 2.1)", aws_nlb,
         f"{_AWS}.domainNames", ["192.168.1.1"], DNS),
    Case("dns-underscore", "'_' is not allowed in host names", aws_nlb, f"{_AWS}.domainNames",
         ["svc_1.example.com"], DNS),
    Case("dns-trailing-dot", "no trailing dot", aws_nlb, f"{_AWS}.domainNames",
         ["svc.example.com."], DNS),
    Case("dns-253-chars", "valid: 253 characters, 63-character labels, mixed case", aws_nlb,
         f"{_AWS}.domainNames", [".".join(["a" * 63] * 3 + ["Example-" + "b" * 53])]),
    # --- d. S3 bucket names: AWS general purpose bucket naming rules --------------------------
    Case("s3-ip-address", "must not be formatted as an IP address", aws_s3,
         f"{_AWS}.resourceNames", ["192.168.1.1"], _msg(S3, 2)),
    Case("s3-adjacent-periods", "must not contain two adjacent periods", aws_s3,
         f"{_AWS}.resourceNames", ["my..bucket"], _msg(S3, 1)),
    Case("s3-uppercase", "lowercase letters only", aws_s3, f"{_AWS}.resourceNames", ["MyBucket"],
         _msg(S3, 0)),
    *[Case(f"s3-prefix-{p.rstrip('-')}", f"must not start with {p}", aws_s3,
           f"{_AWS}.resourceNames", [p + "bucket"], _msg(S3, 3))
      for p in ("xn--", "sthree-", "amzn-s3-demo-")],
    *[Case(f"s3-suffix-{s.strip('-.')}", f"must not end with {s}", aws_s3,
           f"{_AWS}.resourceNames", ["bucket" + s], _msg(S3, 4))
      for s in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")],
    Case("s3-dotted", "valid: periods and hyphens inside", aws_s3, f"{_AWS}.resourceNames",
         ["logs.2026-eu.example"]),
    # --- e. regions and AWS endpoint services -------------------------------------------------
    Case("region-mars", "not a region of any cloud", ncc, "spec.region", "marsnorth1", REGION),
    Case("region-typo", "AWS has no us-east-9", ncc, "spec.region", "us-east-9", REGION),
    Case("region-aws", "valid: an AWS region", ncc, "spec.region", "ap-southeast-7"),
    Case("region-gcp", "valid: a Google Cloud region", ncc, "spec.region", "us-central1"),
    Case("region-azure-gov", "valid: an Azure Government region", ncc, "spec.region",
         "usgovvirginia"),
    Case("service-unknown-region", "a service in a region AWS does not have", aws_s3,
         f"{_AWS}.endpointService", "com.amazonaws.mars-north-1.s3", SERVICE),
    Case("service-vpce-unknown-region", "the vpce region must be real too", aws_nlb,
         f"{_AWS}.endpointService", "com.amazonaws.vpce.mars-1.vpce-svc-0123456789abcdef0",
         SERVICE),
    Case("service-vpce-not-hex", "endpoint service ids are hex", aws_nlb,
         f"{_AWS}.endpointService", "com.amazonaws.vpce.us-east-1.vpce-svc-xyz", SERVICE),
    Case("service-query", "no query string", aws_s3, f"{_AWS}.endpointService",
         "com.amazonaws.us-east-1.s3?x=1", SERVICE),
    Case("service-vpce-8-hex", "valid: an 8-digit endpoint service id", aws_nlb,
         f"{_AWS}.endpointService", "com.amazonaws.vpce.eu-west-1.vpce-svc-0123abcd"),
    # --- e2. GCP service attachments and Google API hosts ---------------------------------------
    Case("attachment-url", "the compute API URL is not the relative name", gcp_psc,
         f"{_GCP}.serviceAttachment", "https://www.googleapis.com/compute/v1/" + ATTACHMENT,
         ATTACH),
    Case("attachment-unknown-region", "a region Google Cloud does not have", gcp_psc,
         f"{_GCP}.serviceAttachment", ATTACHMENT.replace("us-east4", "us-east99"), ATTACH),
    Case("attachment-aws-region", "an AWS region is not a Google Cloud one", gcp_psc,
         f"{_GCP}.serviceAttachment", ATTACHMENT.replace("us-east4", "us-east-1"), ATTACH),
    Case("attachment-project-number", "a project number, not an id (unconfirmed: refused)",
         gcp_psc, f"{_GCP}.serviceAttachment", ATTACHMENT.replace("my-project", "123456789012"),
         ATTACH),
    Case("attachment-uppercase-name", "Google resource names are lowercase", gcp_psc,
         f"{_GCP}.serviceAttachment", ATTACHMENT.replace("orders-db", "Orders-DB"), ATTACH),
    Case("attachment-newline", "a trailing newline is not a name", gcp_psc,
         f"{_GCP}.serviceAttachment", ATTACHMENT + "\n", ATTACH),
    Case("attachment-query", "no query string", gcp_psc, f"{_GCP}.serviceAttachment",
         ATTACHMENT + "?x=1", ATTACH),
    Case("attachment-valid-other-region", "valid at admission: the NCC's region is the "
         "operator's check", gcp_psc, f"{_GCP}.serviceAttachment",
         ATTACHMENT.replace("us-east4", "europe-west1")),
    Case("google-api-lookalike", "a host that only starts like a Google API", gcp_apis,
         f"{_GCP}.googleApiEndpoints", ["storage.googleapis.com.evil.io"], GOOGLE_API),
    Case("google-api-uppercase", "host names are written in lowercase here", gcp_apis,
         f"{_GCP}.googleApiEndpoints", ["Storage.googleapis.com"], GOOGLE_API),
    Case("google-api-scheme", "a host name, not a URL", gcp_apis, f"{_GCP}.googleApiEndpoints",
         ["https://storage.googleapis.com"], GOOGLE_API),
    Case("google-api-all", "valid: googleapis.com covers every Google API", gcp_apis,
         f"{_GCP}.googleApiEndpoints", ["googleapis.com"]),
    # --- f. DatabricksAccount host ------------------------------------------------------------
    Case("host-userinfo", "the password would be sent as Basic auth", account, "spec.host",
         "http://user:pw@accounts.cloud.databricks.com", HOST),
    Case("host-query", "API paths are appended to the host", account, "spec.host",
         "https://accounts.cloud.databricks.com?x=1", HOST),
    Case("host-fragment", "a fragment would swallow the API path", account, "spec.host",
         "https://accounts.cloud.databricks.com#x", HOST),
    Case("host-path", "API paths are appended to the host", account, "spec.host",
         "https://accounts.cloud.databricks.com/api/2.0", HOST),
    Case("host-no-host", "a URL needs a host", account, "spec.host", "https://:443", HOST),
    Case("host-ipv6-emulator", "valid: http, IPv6 loopback and a port", account, "spec.host",
         "http://[::1]:8765"),
    Case("host-trailing-slash", "valid: https with '/'", account, "spec.host",
         "https://accounts.cloud.databricks.com/"),
    # --- g. rateLimit -------------------------------------------------------------------------
    Case("rps-too-low", "0.01 requests/s is one call per 100 s", account, _RPS, 0.01,
         "should be greater than or equal to 0.1"),
    Case("rps-zero", "an integer 0 slips past an OpenAPI minimum of 0.1", account, _RPS, 0,
         "should be greater than or equal to 0.1"),
    Case("rps-too-high", "more than Databricks would ever allow", account, _RPS, 1001,
         "should be less than or equal to 1000"),
    Case("burst-zero", "burst 0 sends nothing", account, "spec.rateLimit.burst", 0,
         "should be greater than or equal to 1"),
    Case("burst-too-high", "at most 1000", account, "spec.rateLimit.burst", 1001,
         "should be less than or equal to 1000"),
    Case("concurrency-too-high", "at most 100 in flight", account,
         "spec.rateLimit.maxConcurrency", 101, "should be less than or equal to 100"),
    Case("rate-limit-bounds", "valid: the bounds themselves", account, "spec.rateLimit",
         {"requestsPerSecond": 0.1, "burst": 1000, "maxConcurrency": 100}),
    # --- h. names that go into URLs -----------------------------------------------------------
    Case("secret-dot", "'.' made the operator LIST the namespace's Secrets", account,
         _M2M_SECRET, ".", NAME),
    Case("secret-dotdot", "'..' climbs the API path", account_pat,
         "spec.auth.token.secretRef.name", "..", NAME),
    Case("secret-slash", "'/' adds a path segment", account_entra,
         "spec.auth.azureClientSecret.secretRef.name", "a/b", NAME),
    Case("secret-uppercase", "Secret names are lowercase", account, _M2M_SECRET, "DbxSp", NAME),
    Case("secret-dotted", "valid: a dotted Secret name", account, _M2M_SECRET, "dbx-sp.v2"),
    Case("tenant-path", "the tenant id is part of the Entra token URL", account_entra,
         "spec.auth.azureClientSecret.tenantId", "../../evil", TENANT_ID),
    Case("tenant-domain", "valid: a tenant domain name", account_entra,
         "spec.auth.azureClientSecret.tenantId", "contoso.onmicrosoft.com"),
    Case("account-ref-dot", "an object name, not '.'", ncc, "spec.accountRef.name", ".", NAME),
    Case("ncc-ref-slash", "an object name, not a path", azure_rule, "spec.nccRef.name",
         "a/b", NAME),
    Case("ncc-ref-namespace-dotted", "namespaces are RFC 1123 labels", azure_rule,
         "spec.nccRef.namespace", "team.a", NAMESPACE),
    Case("account-id-bare-hyphen", "ids begin and end with a letter or digit", account,
         "spec.accountId", "-", ID_PATTERN, "String should match pattern"),
    Case("ncc-external-id-trailing-hyphen", "ids begin and end with a letter or digit", ncc,
         "spec.externalId", "abc-", ID_PATTERN, "String should match pattern"),
    Case("rule-external-id-percent", "'%2F' would decode to '/' in the path", azure_rule,
         "spec.externalId", "a%2Fb", ID_PATTERN, "String should match pattern"),
    # --- i. NetworkPolicy (docs/serverless-egress.md §5.1) ----------------------------------------
    Case("np-id-space", "an id Databricks refuses, found only at create", network_policy,
         "spec.networkPolicyId", "restricted egress", POLICY_ID),
    Case("np-id-slash", "the id is part of the URL path", network_policy,
         "spec.networkPolicyId", "a/b", POLICY_ID),
    Case("np-id-newline", "a trailing newline is not an id", network_policy,
         "spec.networkPolicyId", "restricted\n", POLICY_ID),
    Case("np-id-33-chars", "Databricks: 1-32 characters", network_policy,
         "spec.networkPolicyId", "a" * 33, "Too long: may not be more than 32 bytes",
         POLICY_ID),
    Case("np-id-mixed", "valid: letters of both cases, digits, '_', '.', '-'", network_policy,
         "spec.networkPolicyId", "Egress_v2.prod-A"),
    Case("np-host-wildcard", "wildcards are unconfirmed at Databricks: refused", network_policy,
         _ALLOW, ["*.pythonhosted.org"], DNS),
    Case("np-host-url", "a URL is not a DNS_NAME destination", network_policy, _ALLOW,
         ["https://pypi.org/simple"], DNS),
    Case("np-host-ip", "IP ranges are not a DNS_NAME destination", network_policy, _ALLOW,
         ["151.101.0.223"], DNS),
    Case("np-blocked-host-path", "the block list has the same format", network_policy, _BLOCK,
         ["paste.example.net/raw"], DNS),
    Case("np-hosts-valid", "valid: fully qualified names", network_policy, _ALLOW,
         ["pypi.org", "files.pythonhosted.org"]),
    Case("np-s3-uppercase", "S3 bucket naming rules", network_policy, _STORE,
         _s3("Raw_Bucket"), _msg(S3, 0)),
    Case("np-s3-ip-address", "S3 bucket naming rules", network_policy, _STORE,
         _s3("192.168.5.4"), _msg(S3, 2)),
    Case("np-s3-region-typo", "AWS has no us-east-9", network_policy, _STORE,
         _s3("raw-bucket", "us-east-9"), AWS_REGION),
    Case("np-s3-region-azure", "an Azure region is not an AWS region", network_policy, _STORE,
         _s3("raw-bucket", "eastus2"), AWS_REGION),
    Case("np-s3-valid", "valid: an S3 bucket in a real AWS region", network_policy, _STORE,
         _s3("logs.2026-eu.example", "eu-west-1")),
    Case("np-azure-uppercase", "storage account names are lowercase", network_policy, _STORE,
         _azure("LakeProd"), AZURE_ACCOUNT),
    Case("np-azure-hyphen", "storage account names are letters and digits", network_policy,
         _STORE, _azure("lake-prod"), AZURE_ACCOUNT),
    Case("np-azure-valid", "valid: 24 characters", network_policy, _STORE, _azure("a" * 24)),
    Case("np-gcs-uppercase", "Cloud Storage names are lowercase", network_policy, _STORE,
         _gcs("Exports"), _msg(GCS, 0)),
    Case("np-gcs-64-char-part", "each dot-separated part is at most 63 characters",
         network_policy, _STORE, _gcs("a" * 64 + ".example"), _msg(GCS, 1)),
    Case("np-gcs-goog-prefix", "Cloud Storage names must not begin with goog", network_policy,
         _STORE, _gcs("goog-exports"), _msg(GCS, 2)),
    Case("np-gcs-google", "Cloud Storage names must not contain google", network_policy,
         _STORE, _gcs("my-google-exports"), _msg(GCS, 2)),
    Case("np-gcs-ip-address", "Cloud Storage names must not be IP addresses", network_policy,
         _STORE, _gcs("10.1.2.3"), _msg(GCS, 3)),
    Case("np-gcs-region-mars", "a region no cloud publishes", network_policy, _STORE,
         _gcs("exports-bucket", "marsnorth1"), REGION),
    Case("np-gcs-valid", "valid: dots, '_' and '-', with a region", network_policy, _STORE,
         _gcs("exports.example_bucket-1", "us-central1")),
    Case("np-account-ref-dot", "an object name, not '.'", network_policy,
         "spec.accountRef.name", ".", NAME),
]  # fmt: skip
