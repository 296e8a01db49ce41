"""Hypothesis strategies of PrivateEndpointRule specs for the fuzz suite (``test_fuzz.py``):
valid targets in the formats the clouds use, specs the apiserver admits but the operator must
report (another cloud's target, a missing NCC, an unknown ``externalId``, a target Databricks
refuses), and mutations of valid specs that admission must refuse.

Every generated :class:`Case` carries what must become of it (``expect``) and why, decided by
how it was built — never by running the operator's own validators on it — so the suite checks
the apiserver and the operator against an independent oracle.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

REFUSED = "refused"
"""Admission must refuse it (kubectl fails, with the rule quoted)."""
SYNCED = "synced"
"""Admitted and created at Databricks: Synced=True (or Conflict, if another resource of the
same natural key holds the rule)."""
NCC = "prod"
S3 = "com.amazonaws.us-east-1.s3"
# Another region's S3 service: its own natural key, so its refusal never meets a pool target.
_S3_OTHER_REGION = "com.amazonaws.eu-west-1.s3"


@dataclass(frozen=True)
class Case:
    spec: Any
    expect: str
    """REFUSED, SYNCED, or the Synced=False reason the operator must report."""
    why: str
    key: tuple[str, ...] | None = None
    """For SYNCED cases, the natural key of the Databricks rule (collisions end in Conflict)."""


_LOWER = "abcdefghijklmnopqrstuvwxyz"
_HEX = "0123456789abcdef"
# Small pools, so natural-key collisions (case variants of one Azure id, one endpoint service
# twice, bucket-only next to an explicit S3 service) are generated, not only distinct targets.
_STORAGE = ["alpha", "bravo", "charlie", "delta"]
_PLS = ["pls-one", "pls-two"]
_VPCE = [f"com.amazonaws.vpce.us-east-1.vpce-svc-{h}" for h in ("0123456789abcdef0", "0a1b2c3d")]
_VPCE_OTHER_REGION = "com.amazonaws.vpce.eu-west-1.vpce-svc-fedcba9876543210f"
_AWS_SERVICES = ["com.amazonaws.us-east-1.sqs", "com.amazonaws.us-east-1.execute-api"]
_HOST_RE = re.compile(
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_GROUP_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def recased(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda flips: "".join(c.swapcase() if f else c for c, f in zip(text, flips, strict=True))
    )


@st.composite
def _azure_id(draw: st.DrawFn, provider: str, name: str) -> str:
    """An id as az (``resourcegroups``), ARM (``resourceGroups``) or a person might write it."""
    rid = (
        f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
        f"{provider}/{name}"
    )
    return draw(st.one_of(st.just(rid), recased(rid)))


# RFC 1123 host names: the top-level label begins with a letter (never an IPv4 address).
hosts = st.builds(
    lambda labels, first, rest: ".".join([*labels, first + rest]),
    st.lists(st.text(_LOWER + "0123456789", min_size=1, max_size=12), min_size=1, max_size=3),
    st.sampled_from(_LOWER),
    st.text(_LOWER + "0123456789", max_size=8),
)
buckets = st.text(_LOWER + "0123456789-", max_size=20).map(lambda s: f"bk{s}0")


def _ref() -> dict[str, Any]:
    return {"name": NCC}


@st.composite
def azure_valid(draw: st.DrawFn) -> Case:
    if draw(st.booleans()):
        name = draw(st.sampled_from(_STORAGE))
        rid = draw(_azure_id("Microsoft.Storage/storageAccounts", name))
        group = draw(st.sampled_from(["blob", "dfs"]))
        spec = {"nccRef": _ref(), "azure": {"resourceId": rid, "groupId": group}}
        return Case(spec, SYNCED, "first-party Azure target", ("azure", rid.lower(), group))
    name = draw(st.sampled_from(_PLS))
    rid = draw(_azure_id("Microsoft.Network/privateLinkServices", name))
    domains = draw(st.lists(hosts, min_size=1, max_size=10, unique=True))
    spec = {"nccRef": _ref(), "azure": {"resourceId": rid, "domainNames": domains}}
    return Case(spec, SYNCED, "Azure Private Link Service", ("azure", rid.lower(), ""))


@st.composite
def aws_valid(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(["s3", "buckets-only", "nlb", "service"]))
    if kind in ("s3", "buckets-only"):
        target: dict[str, Any] = {
            "resourceNames": draw(st.lists(buckets, min_size=1, max_size=5, unique=True))
        }
        if kind == "s3":
            target["endpointService"] = S3
        # enabled=True is applied only once the rule is ESTABLISHED, a PATCH that would land
        # in the idle window; False is what Databricks creates, so it converges at once.
        if draw(st.booleans()):
            target["enabled"] = False
        # Databricks fills in the regional S3 service for a bucket-only rule: one key for both.
        return Case({"nccRef": _ref(), "aws": target}, SYNCED, f"S3 ({kind})", ("aws", S3))
    service = draw(
        st.sampled_from([*_VPCE, _VPCE_OTHER_REGION])
        if kind == "nlb"
        else st.sampled_from(_AWS_SERVICES)
    )
    target = {"endpointService": service}
    if kind == "nlb" and draw(st.booleans()):
        target["domainNames"] = draw(st.lists(hosts, min_size=1, max_size=10, unique=True))
    return Case({"nccRef": _ref(), "aws": target}, SYNCED, f"AWS {kind}", ("aws", service))


LONE = "000lonetarget000"
"""Stands for a tag unique to the example (``test_fuzz`` replaces it with 17 hex digits)."""


def _lone_target(draw: st.DrawFn, cloud: str) -> dict[str, Any]:
    """A target of no pool, unique to its example, with an ``externalId`` that names no rule:
    such a spec never shares a natural key with another (an earlier resource of the same key
    would be reported as holding it, whatever its own fate)."""
    external = draw(st.text(_HEX, min_size=8, max_size=32))
    if cloud == "azure":
        rid = (
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/"
            f"Microsoft.Storage/storageAccounts/ext{LONE}"
        )
        target: dict[str, Any] = {"azure": {"resourceId": rid, "groupId": "blob"}}
    else:
        target = {"aws": {"endpointService": f"com.amazonaws.vpce.us-east-1.vpce-svc-{LONE}"}}
    return {"nccRef": _ref(), **target, "externalId": external}


def valid(cloud: str) -> st.SearchStrategy[Case]:
    return azure_valid() if cloud == "azure" else aws_valid()


@st.composite
def admitted_invalid(draw: st.DrawFn, cloud: str) -> Case:
    """Specs the CRD admits that the operator must report, each with its documented reason."""
    other = "aws" if cloud == "azure" else "azure"
    choices: list[tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]], str]] = [
        ("other-cloud", "NotAllowed", lambda s: draw(valid(other)).spec,
         "a target of another cloud than the account's"),
        ("missing-ncc", "ReferenceNotReady", lambda s: {**s, "nccRef": {"name": "no-such-ncc"}},
         "nccRef names an NCC that does not exist"),
        ("unknown-external-id", "NotAllowed", lambda s: _lone_target(draw, cloud),
         "externalId names no rule of the NCC"),
    ]  # fmt: skip
    if cloud == "aws":
        choices.append((
            "s3-domain-names", "InvalidSpec",
            lambda s: {"nccRef": _ref(), "aws": {"endpointService": _S3_OTHER_REGION,
                                                 "domainNames": draw(st.lists(hosts, min_size=1,
                                                                              max_size=3,
                                                                              unique=True))}},
            # Unique: the CRD refuses a repeated name (a set), which is another case.
            "Databricks refuses domainNames on an S3 rule (the CRD admits it)",
        ))  # fmt: skip
    name, reason, build, why = draw(st.sampled_from(choices))
    return Case(build(draw(valid(cloud)).spec), reason, f"{name}: {why}")


# --- mutations admission must refuse ------------------------------------------------------------

_ODD_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=40
)
_WRONG_TYPES = st.one_of(
    st.integers(), st.booleans(), st.lists(st.integers(), max_size=3), st.just({"a": 1})
)
_BAD_HOSTS = st.one_of(
    st.sampled_from([
        "*.example.com", "example.com.", "a" * 64 + ".example.com", "bücher.example.com", "",
        "192.168.1.1", "db", "a..b.com", ".".join(["a" * 63] * 4), "svc_1.example.com",
        "https://a.example.com", "a.example.com:443", "a.example.com\n", "\u202ea.example.com",
    ]),
    _ODD_TEXT.filter(lambda t: _HOST_RE.fullmatch(t) is None),
)  # fmt: skip
_BAD_BUCKETS = st.one_of(
    st.sampled_from([
        "MyBucket", "my..bucket", "192.168.5.4", "xn--bucket", "sthree-b", "b-s3alias", "ab",
        "b" * 64, "bucket_1", "-bucket", "bucket.",
    ]),
    _ODD_TEXT.filter(lambda t: _BUCKET_RE.fullmatch(t) is None),
)  # fmt: skip
_BAD_SERVICES = st.one_of(
    st.sampled_from([
        "com.amazonaws.mars-1.s3", "com.amazonaws.us-east-1.dynamodb", "COM.AMAZONAWS.US-EAST-1.S3",
        "com.amazonaws.vpce.us-east-1.vpce-svc-xyz", "com.amazonaws.us-east-1.s3?x=1", "s3",
        "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789ABCDEF0", "",
    ]),
    _ODD_TEXT,
)  # fmt: skip


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(spec: dict[str, Any]) -> dict[str, Any]:
        result = copy.deepcopy(spec)
        *parents, leaf = path.split(".")
        node = result
        for key in parents:
            node = node.setdefault(key, {})
        if value is _DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
        return result

    return change


_DELETE = object()


@st.composite
def mutated(draw: st.DrawFn, cloud: str) -> Case:
    """A valid spec with one thing broken that the CRD documents it refuses."""
    base = draw(valid(cloud)).spec
    ten = draw(st.lists(hosts, min_size=11, max_size=40, unique=True))
    common: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("both targets", _set("aws" if cloud == "azure" else "azure",
                              draw(valid("aws" if cloud == "azure" else "azure")).spec.get(
                                  "aws" if cloud == "azure" else "azure"))),
        ("no target", _set(cloud, _DELETE)),
        ("no nccRef", _set("nccRef", _DELETE)),
        ("nccRef not an object name", _set("nccRef.name", draw(st.sampled_from(
            ["Prod", "a/b", "..", "", "prod_ncc", "x" * 254])))),
        ("nccRef a string", _set("nccRef", "prod")),
        ("nccRef namespace not a label", _set("nccRef.namespace", draw(st.sampled_from(
            ["team.a", "Team", "-a", "", "a" * 64])))),
        ("externalId breaks its pattern", _set("externalId", draw(st.sampled_from(
            ["a%2Fb", "-x", "x-", "", "a" * 65, "a b", "ü"])))),
        ("deletionPolicy not in the enum", _set("deletionPolicy", draw(st.sampled_from(
            ["Keep", "delete", "", "Retain"])))),
        ("managementPolicy not in the enum", _set("managementPolicy", "manage")),
        ("spec field of the wrong type", _set(cloud, draw(_WRONG_TYPES | _ODD_TEXT))),
        ("unknown spec field", _set(draw(st.sampled_from(["target", "resourceId", "Azure"])),
                                    draw(_ODD_TEXT))),
        ("unknown target field", _set(f"{cloud}.{draw(st.sampled_from(['resourceID', 'foo']))}",
                                      "x")),
    ]  # fmt: skip
    if cloud == "azure":
        group = "groupId" in base["azure"]
        specific: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
            ("resourceId junk", _set("azure.resourceId", draw(_ODD_TEXT))),
            ("resourceId of a child resource",
             _set("azure.resourceId", base["azure"]["resourceId"] + "/blobServices/default")),
            ("resourceId over 1024 characters",
             _set("azure.resourceId", base["azure"]["resourceId"] + "x" * 1024)),
            ("resourceId not a string", _set("azure.resourceId", draw(_WRONG_TYPES))),
            ("groupId breaks its pattern", _set("azure.groupId", draw(
                _ODD_TEXT.filter(lambda t: _GROUP_RE.fullmatch(t) is None)))),
            ("groupId and domainNames", _set("azure.domainNames", ["a.example.com"]) if group
             else _set("azure.groupId", "blob")),
            ("neither groupId nor domainNames",
             _set("azure.groupId" if group else "azure.domainNames", _DELETE)),
            ("more than 10 domain names", _set("azure.domainNames", ten) if not group
             else _set("azure.groupId", draw(_WRONG_TYPES))),
            ("empty domain name list", _set("azure.domainNames", []) if not group
             else _set("azure.groupId", "")),
            ("a bad domain name", _set("azure.domainNames", ["ok.example.com",
                                                             draw(_BAD_HOSTS)])),
            ("domainNames twice the same", _set("azure.domainNames",
                                                ["a.example.com", "a.example.com"])),
            ("domainNames a string", _set("azure.domainNames", "a.example.com")),
            ("enabled on an Azure target", _set("azure.enabled", "yes")),
        ]  # fmt: skip
    else:
        s3 = "resourceNames" in base["aws"]
        specific = [
            ("endpointService not a service name", _set("aws.endpointService",
                                                        draw(_BAD_SERVICES))),
            ("endpointService not a string", _set("aws.endpointService", draw(_WRONG_TYPES))),
            ("a bad bucket name", _set("aws.resourceNames", ["bucket-ok", draw(_BAD_BUCKETS)])),
            ("more than 100 buckets", _set("aws.resourceNames",
                                           [f"bucket-{i:04d}" for i in range(101)])),
            ("empty bucket list", _set("aws.resourceNames", [])),
            ("buckets twice the same", _set("aws.resourceNames", ["bucket-a", "bucket-a"])),
            ("buckets on a non-S3 service", _set("aws.endpointService", _VPCE[0]) if s3
             else _set("aws.resourceNames", ["bucket-a"])),
            ("buckets and domain names", _set("aws.domainNames", ["a.example.com"]) if s3
             else _set("aws", {"resourceNames": ["bucket-a"], "domainNames": ["a.example.com"]})),
            ("enabled on a non-S3 service", _set("aws", {"endpointService": _VPCE[1],
                                                         "enabled": draw(st.booleans())})),
            ("enabled not a boolean", _set("aws.enabled", draw(st.sampled_from(
                ["true", "yes", 1, "on"])))),
            ("neither service nor buckets", _set("aws", {"domainNames": ["a.example.com"]})),
            ("more than 10 domain names", _set("aws", {"endpointService": _VPCE[0],
                                                       "domainNames": ten})),
            ("a bad domain name", _set("aws", {"endpointService": _VPCE[0],
                                               "domainNames": [draw(_BAD_HOSTS)]})),
        ]  # fmt: skip
    why, change = draw(st.sampled_from(common + specific))
    return Case(change(base), REFUSED, why)


def cases(cloud: str) -> st.SearchStrategy[Case]:
    """About half valid, a third refused at admission, the rest admitted but invalid."""
    return st.one_of(valid(cloud), valid(cloud), mutated(cloud), admitted_invalid(cloud))
