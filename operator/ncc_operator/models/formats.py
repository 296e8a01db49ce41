"""Value formats checked at admission: each rule once, as a regex or a closed list, for both sides.

A :class:`Check` renders itself as the CEL rule the CRD carries (``cel``) and checks a value in
Python (``holds``) with the same regex, so the operator, which re-validates every body it reads,
refuses exactly what the apiserver refuses, with the same message. ``tests/models/test_formats.py``
proves that every rule below sits verbatim in ``crds/`` on the fields listed there.

Regexes are written in the dialect shared by Go RE2 (CEL ``matches`` in the apiserver) and Python
``re``: ASCII classes only (``[0-9]``, never ``\\d``, which Python widens to every Unicode digit),
no ``(?i)`` (both engines fold the Kelvin sign U+212A to ``k``), and ``$`` rewritten to ``\\Z`` for
Python, whose ``$`` also matches before a trailing newline. CEL ``matches`` searches (it is not
anchored), so Python uses ``re.search`` and the rules anchor themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from .regions import ALL_REGIONS, AWS_REGIONS, GCP_REGIONS


@dataclass(frozen=True)
class Check:
    """One admission rule: a regex the value must (or, ``forbidden``, must not) contain, or a
    closed list of ``allowed`` values. ``message`` quotes the rule; users see it verbatim."""

    message: str
    regex: str | None = None
    forbidden: bool = False
    allowed: tuple[str, ...] = ()

    @property
    def cel(self) -> str:
        """The CEL expression of this rule, as it appears in the CRD."""
        if self.regex is None:
            return f"self in [{', '.join(_cel_string(v) for v in self.allowed)}]"
        call = f"self.matches({_cel_string(self.regex)})"
        return f"!{call}" if self.forbidden else call

    def holds(self, value: str) -> bool:
        if self.regex is None:
            return value in self.allowed
        return (_python_regex(self.regex).search(value) is not None) != self.forbidden


Format = tuple[Check, ...]


def validator(checks: Format) -> Callable[[str], str]:
    """A pydantic ``AfterValidator`` raising the message of the first rule ``value`` breaks."""

    def check(value: str) -> str:
        for rule in checks:
            if not rule.holds(value):
                raise ValueError(rule.message)
        return value

    return check


def _cel_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@cache
def _python_regex(re2: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", re2))


def _any_case(word: str) -> str:
    """``word`` matched in any letter case without ``(?i)`` (see the module docstring)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_GUID = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# RFC 1123 2.1: the top-level label is alphabetic, so a host name never reads as an IPv4 address.
_HOST_NAME = rf"({_LABEL}\.)+[A-Za-z]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?"
_K8S_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"

# --- Kubernetes names (they end up in API paths: "." once made the operator LIST Secrets) ------
K8S_NAME: Format = (
    Check(
        regex=rf"^{_K8S_LABEL}(\.{_K8S_LABEL})*$",
        message=(
            "must be a Kubernetes object name (RFC 1123 subdomain): lowercase letters, digits, "
            "'-' and '.', beginning and ending with a letter or digit, at most 253 characters"
        ),
    ),
)
K8S_NAMESPACE: Format = (
    Check(
        regex=rf"^{_K8S_LABEL}$",
        message=(
            "must be a Kubernetes namespace name (RFC 1123 label): lowercase letters, digits and "
            "'-', beginning and ending with a letter or digit, at most 63 characters"
        ),
    ),
)

# --- DatabricksAccount --------------------------------------------------------------------------
ACCOUNT_HOST: Format = (
    Check(
        regex=rf"^https?://({_LABEL}(\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(:[0-9]{{1,5}})?/?$",
        message=(
            "must be an absolute http:// or https:// URL of a host name (or IP address) with an "
            "optional port and nothing else: no user info (user:password@), path other than '/', "
            "query or fragment, e.g. https://accounts.cloud.databricks.com"
        ),
    ),
)
TENANT_ID: Format = (
    Check(
        regex=rf"^({_GUID}|{_HOST_NAME})$",
        message=(
            "must be a Microsoft Entra tenant id: a GUID "
            "(00000000-0000-0000-0000-000000000000) or a tenant domain name "
            "(contoso.onmicrosoft.com)"
        ),
    ),
)

# --- NetworkConnectivityConfig ------------------------------------------------------------------
REGION: Format = (
    Check(
        allowed=ALL_REGIONS,
        message=(
            "must be a region name published by Azure, AWS or Google Cloud, spelled as the cloud "
            "spells it (e.g. eastus2, us-east-1, us-central1); the list is in docs/api.md"
        ),
    ),
)

# --- PrivateEndpointRule ------------------------------------------------------------------------
AZURE_RESOURCE_ID: Format = (
    Check(
        regex=(
            # Azure resource ids are case-insensitive: az prints resourcegroups, ARM resourceGroups.
            rf"^/{_any_case('subscriptions')}/{_GUID}/{_any_case('resourceGroups')}/"
            rf"[-A-Za-z0-9_().]{{0,89}}[-A-Za-z0-9_()]/{_any_case('providers')}/"
            r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+/[A-Za-z][A-Za-z0-9]*/"
            r"[A-Za-z0-9_]([-A-Za-z0-9_.]*[A-Za-z0-9_])?$"
        ),
        message=(
            "must be an Azure resource id of a top-level resource: "
            "/subscriptions/<GUID>/resourceGroups/<resource group>/providers/"
            "<Namespace.Provider>/<type>/<name>, the resource group 1-90 letters, digits, "
            "'_', '-', '.', '(' or ')' not ending in '.'; no child resources "
            "(.../blobServices/default), spaces, '?' or '#' "
            "(e.g. /subscriptions/00000000-0000-0000-0000-000000000000"
            "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/mystorage)"
        ),
    ),
)
AZURE_GROUP_ID: Format = (
    Check(
        regex="^[A-Za-z][A-Za-z0-9_-]{0,63}$",
        message=(
            "must be a Private Link sub-resource name: a letter, then up to 63 letters, digits, "
            "'_' or '-' (e.g. blob, dfs, sqlServer, mysqlServer)"
        ),
    ),
)
DOMAIN_NAME: Format = (
    Check(
        regex=f"^{_HOST_NAME}$",
        message=(
            "each domain name must be a fully qualified RFC 1123 host name: at least two labels "
            "separated by '.', each 1-63 letters, digits or '-' not beginning or ending with '-', "
            "the last beginning with a letter, at most 253 characters; no wildcard '*', empty "
            "label, leading or trailing '.', scheme, port or path"
        ),
    ),
)
_AWS_REGION = "(" + "|".join(AWS_REGIONS) + ")"
_AWS_SERVICE = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
AWS_ENDPOINT_SERVICE: Format = (
    Check(
        regex=(
            rf"^com\.amazonaws\.(vpce\.{_AWS_REGION}\.vpce-svc-([0-9a-f]{{17}}|[0-9a-f]{{8}})"
            rf"|{_AWS_REGION}\.{_AWS_SERVICE})$"
        ),
        message=(
            "must be a full endpoint service name of a real AWS region: "
            "com.amazonaws.<region>.<service> (e.g. com.amazonaws.us-east-1.s3) or "
            "com.amazonaws.vpce.<region>.vpce-svc-<8 or 17 hex digits> "
            "(e.g. com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0)"
        ),
    ),
)
_GCP_REGION = "(" + "|".join(GCP_REGIONS) + ")"
# docs/serverless-egress.md §5.3: the relative form of the SDK's example; a project id is 6-30
# lowercase letters, digits and '-', from a letter, not ending in '-'; a name is RFC 1035.
GCP_SERVICE_ATTACHMENT: Format = (
    Check(
        regex=(
            rf"^projects/[a-z][-a-z0-9]{{4,28}}[a-z0-9]/regions/{_GCP_REGION}/"
            r"serviceAttachments/[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
        ),
        message=(
            "must be a Private Service Connect service attachment of a real Google Cloud region: "
            "projects/<project id>/regions/<region>/serviceAttachments/<name>, the project id "
            "6-30 lowercase letters, digits or '-' beginning with a letter, the name 1-63 "
            "lowercase letters, digits or '-' beginning with a letter; no https:// prefix "
            "(e.g. projects/my-project/regions/us-east4/serviceAttachments/my-attachment)"
        ),
    ),
)
GOOGLE_API_ENDPOINT: Format = (
    Check(
        regex=r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*googleapis\.com$",
        message=(
            "must be a Google API host name: googleapis.com (all Google APIs) or a name ending "
            "in .googleapis.com, in lowercase (e.g. storage.googleapis.com)"
        ),
    ),
)
# AWS "General purpose bucket naming rules" (Amazon S3 User Guide), one check per rule.
S3_BUCKET_NAME: Format = (
    Check(
        regex="^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
        message=(
            "S3 bucket names must be 3-63 characters long, consist only of lowercase letters, "
            "numbers, periods (.) and hyphens (-), and begin and end with a letter or number"
        ),
    ),
    Check(
        regex=r"\.\.",
        forbidden=True,
        message="S3 bucket names must not contain two adjacent periods",
    ),
    Check(
        regex=r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$",
        forbidden=True,
        message="S3 bucket names must not be formatted as an IP address (for example, 192.168.5.4)",
    ),
    Check(
        regex="^(xn--|sthree-|amzn-s3-demo-)",
        forbidden=True,
        message="S3 bucket names must not start with the prefix xn--, sthree- or amzn-s3-demo-",
    ),
    Check(
        regex=r"(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$",
        forbidden=True,
        message=(
            "S3 bucket names must not end with the suffix -s3alias, --ol-s3, .mrap, --x-s3 or "
            "--table-s3"
        ),
    ),
)

# --- NetworkPolicy (docs/serverless-egress.md §5.1) ---------------------------------------------
NETWORK_POLICY_ID: Format = (
    Check(
        regex="^[a-zA-Z0-9_.-]{1,32}$",
        message=(
            "must be a Databricks network policy id: 1-32 letters, digits, '_', '.' or '-' "
            "(e.g. restricted-egress, or default-policy to adopt the account's default)"
        ),
    ),
)
AWS_REGION: Format = (
    Check(
        allowed=AWS_REGIONS,
        message="must be an AWS region name (e.g. us-east-1); the list is in docs/api.md",
    ),
)
AZURE_STORAGE_ACCOUNT: Format = (
    Check(
        regex="^[a-z0-9]{3,24}$",
        message="must be an Azure storage account name: 3-24 lowercase letters and digits",
    ),
)
# Google Cloud Storage bucket naming (cloud.google.com/storage/docs/buckets#naming).
GCS_BUCKET_NAME: Format = (
    Check(
        regex="^[a-z0-9][a-z0-9._-]*[a-z0-9]$",
        message=(
            "Cloud Storage bucket names must consist only of lowercase letters, digits, '-', '_' "
            "and '.', and begin and end with a letter or digit"
        ),
    ),
    Check(
        regex="[^.]{64}",
        forbidden=True,
        message="each dot-separated part of a Cloud Storage bucket name is at most 63 characters",
    ),
    Check(
        regex="^goog|google",
        forbidden=True,
        message="Cloud Storage bucket names must not begin with goog or contain google",
    ),
    Check(
        regex=r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$",
        forbidden=True,
        message="Cloud Storage bucket names must not be IP addresses",
    ),
)
