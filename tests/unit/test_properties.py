"""Property tests (hypothesis) of the operator's pure parts: update masks, the rule natural key,
error classification, and the Azure resource id format.

Each property is a rule the module under test documents (its docstring or comments), checked
over generated inputs; where a rule is a short list of cases rather than a law, it is a table.
Inputs are drawn from independent grammars (the documented Azure / AWS formats), not from the
operator's own regexes, so "accepted" means something. Runs derandomized (same examples on every
run, as CI needs) and in a few seconds.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ncc_emulator.validation import validate_rule_create
from ncc_operator.databricks import (
    Cloud,
    CreatePrivateEndpointRule,
    NccPrivateEndpointRule,
    UpdatePrivateEndpointRule,
    normalize_mask,
    rule_update_mask,
)
from ncc_operator.databricks import errors as dbx
from ncc_operator.databricks.errors import ErrorKind, classify, error_from_response
from ncc_operator.databricks.masks import RULE_MASK_FIELDS, rule_mask_fields
from ncc_operator.models import PrivateEndpointRuleResource
from ncc_operator.models.formats import AZURE_RESOURCE_ID
from ncc_operator.models.rule import AzureTarget
from ncc_operator.reconcile import AuthFailed, InvalidSpec, OutcomeUnknown, Transient
from ncc_operator.resources.errors import DEFAULT_TRANSIENT_RETRY, problem_from
from ncc_operator.resources.targets import desired_create, desired_update, identity, in_region

# derandomize: CI sees the same examples every run; a failure is reproducible from the log.
FAST = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- generators -------------------------------------------------------------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LOWER + _LOWER.upper() + "0123456789"


def recased(text: str) -> st.SearchStrategy[str]:
    """``text`` with each letter's case chosen freely (what az, ARM and people paste differ in)."""
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda flips: "".join(c.swapcase() if f else c for c, f in zip(text, flips, strict=True))
    )


def _word(first: str, rest: str, most: int) -> st.SearchStrategy[str]:
    return st.builds(lambda a, b: a + b, st.sampled_from(first), st.text(rest, max_size=most))


# The documented id shape: /subscriptions/<GUID>/resourceGroups/<rg>/providers/<Ns.Provider>/
# <type>/<name>; a resource group is 1-90 of [-\w().] not ending in '.'.
_RG = st.builds(
    lambda body, last: body + last,
    st.text(_ALNUM + "-_().", max_size=89),
    st.sampled_from(_ALNUM + "-_()"),
)
_PROVIDER = st.one_of(
    st.sampled_from(
        ["Microsoft.Storage", "Microsoft.Sql", "Microsoft.Network", "Microsoft.DBforPostgreSQL"]
    ),
    st.lists(_word(_ALNUM[:52], _ALNUM, 12), min_size=2, max_size=3).map(".".join),
)
_TYPE = st.one_of(
    st.sampled_from(["storageAccounts", "servers", "privateLinkServices", "flexibleServers"]),
    _word(_ALNUM[:52], _ALNUM, 20),
)
_NAME = st.one_of(
    st.sampled_from(["mystorage", "sql-prod-01", "pls_db", "a"]),
    st.builds(
        lambda a, mid, z: a + mid + z,
        st.sampled_from(_ALNUM + "_"),
        st.text(_ALNUM + "-_.", max_size=40),
        st.sampled_from(_ALNUM + "_"),
    ),
)


@st.composite
def azure_ids(draw: st.DrawFn) -> str:
    """A realistic top-level Azure resource id, keywords and GUID in any letter case."""
    subscriptions = draw(recased("subscriptions"))
    groups = draw(recased("resourceGroups"))
    providers = draw(recased("providers"))
    guid = draw(st.uuids().map(str).flatmap(recased))
    return (
        f"/{subscriptions}/{guid}/{groups}/{draw(_RG)}/{providers}/{draw(_PROVIDER)}/"
        f"{draw(_TYPE)}/{draw(_NAME)}"
    )


def _rid_ok(value: str) -> bool:
    return all(check.holds(value) for check in AZURE_RESOURCE_ID)


_HOST = st.lists(_word(_LOWER, _LOWER + "0123456789", 10), min_size=2, max_size=4).map(".".join)
_DOMAINS = st.lists(_HOST, min_size=1, max_size=10, unique=True)
_BUCKETS = st.lists(
    st.text(_LOWER + "0123456789-", max_size=20).map(lambda s: f"bk{s}0"), min_size=1, max_size=20
)
_GROUP = st.sampled_from(["blob", "dfs", "sqlServer", "mysqlServer", "file", "queue"])
_VPCE = st.text("0123456789abcdef", min_size=17, max_size=17).map(
    lambda h: f"com.amazonaws.vpce.us-east-1.vpce-svc-{h}"
)
_S3 = "com.amazonaws.us-east-1.s3"


def rule_resource(spec: dict[str, Any]) -> PrivateEndpointRuleResource:
    return PrivateEndpointRuleResource.from_body(
        {"metadata": {"name": "r", "namespace": "ns"}, "spec": {"nccRef": {"name": "n"}, **spec}}
    )


# --- update masks -----------------------------------------------------------------------------

_FIELD_NAMES = st.sampled_from([*RULE_MASK_FIELDS, "name", "rule_id", "x"])
_MASK_PARTS = st.lists(
    st.builds(lambda pad1, f, pad2: pad1 + f + pad2, st.sampled_from(["", " "]), _FIELD_NAMES,
              st.sampled_from(["", "  "])),
    max_size=8,
)  # fmt: skip
_ALLOWED = st.lists(st.sampled_from(RULE_MASK_FIELDS), unique=True)


@FAST
@given(parts=_MASK_PARTS, allowed=_ALLOWED, as_text=st.booleans())
def test_normalize_mask_is_a_deduplicated_ordered_subset_or_refuses(
    parts: list[str], allowed: list[str], as_text: bool
) -> None:
    """The mask it returns names only allowed fields, each once, in first-seen order; anything
    else (an empty mask, one unknown field) is refused, never silently dropped."""
    wanted = [p.strip() for p in parts if p.strip()]
    mask = ",".join(parts) if as_text else parts
    if not wanted or any(f not in allowed for f in wanted):
        with pytest.raises(ValueError, match="update_mask"):
            normalize_mask(mask, allowed)
        return
    cleaned = normalize_mask(mask, allowed)
    assert set(cleaned) <= set(allowed)
    assert len(cleaned) == len(set(cleaned))
    assert list(cleaned) == list(dict.fromkeys(wanted))
    # Idempotent, and the text and list spellings of one mask agree.
    assert normalize_mask(cleaned, allowed) == cleaned
    assert normalize_mask(",".join(cleaned), allowed) == cleaned


_LIST = st.one_of(st.none(), st.lists(st.sampled_from(["a.x", "b.x", "c.x", "d.x"]), max_size=5))
_WANT = st.builds(
    UpdatePrivateEndpointRule,
    domain_names=_LIST,
    resource_names=_LIST,
    enabled=st.one_of(st.none(), st.booleans()),
)
_SEEN = st.builds(
    NccPrivateEndpointRule,
    domain_names=_LIST,
    resource_names=_LIST,
    enabled=st.one_of(st.none(), st.booleans()),
)
_CLOUDS = st.sampled_from([Cloud.AZURE, Cloud.AWS])


def _differs(want: Any, have: Any) -> bool:
    """The documented comparison: lists as sets, absent list == empty list."""
    if isinstance(want, list):
        return set(want) != set(have or [])
    return bool(want != have)


@FAST
@given(desired=_WANT, observed=_SEEN, cloud=_CLOUDS)
def test_rule_update_mask_names_exactly_the_differing_updatable_fields(
    desired: UpdatePrivateEndpointRule, observed: NccPrivateEndpointRule, cloud: Cloud
) -> None:
    """The mask = fields the cloud can update, set in the spec, that differ (as sets); in the
    fixed field order; never ``enabled`` on Azure; and always a mask Databricks would accept."""
    mask = rule_update_mask(desired, observed, cloud)
    expected = tuple(
        f
        for f in rule_mask_fields(cloud)
        if getattr(desired, f) is not None and _differs(getattr(desired, f), getattr(observed, f))
    )
    assert mask == expected
    if cloud is Cloud.AZURE:
        assert "enabled" not in mask
    if mask:
        assert normalize_mask(mask, rule_mask_fields(cloud)) == mask


@FAST
@given(desired=_WANT, observed=_SEEN, cloud=_CLOUDS, data=st.data())
def test_rule_update_mask_is_empty_once_the_mask_is_applied(
    desired: UpdatePrivateEndpointRule,
    observed: NccPrivateEndpointRule,
    cloud: Cloud,
    data: st.DataObject,
) -> None:
    """Convergence: after Databricks applies the PATCH (the masked fields replaced, returned in
    any order, duplicates and all), the next pass asks for nothing — no update loop."""
    mask = rule_update_mask(desired, observed, cloud)
    applied: dict[str, Any] = {}
    for field in mask:
        value = getattr(desired, field)
        if isinstance(value, list):
            value = data.draw(st.permutations(value + value[:1]), label=f"{field} as returned")
        applied[field] = value
    after = observed.model_copy(update=applied)
    assert rule_update_mask(desired, after, cloud) == ()


_RID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
    "Microsoft.Storage/storageAccounts/mystorage"
)
_NLB = "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0"


@pytest.mark.parametrize(
    ("spec", "mask", "reason"),
    [
        pytest.param({"azure": {"resourceId": _RID, "groupId": "blob"}}, (),
                     "a first-party Azure target has nothing updatable", id="azure-group"),
        pytest.param({"azure": {"resourceId": _RID, "domainNames": ["a.example.com"]}}, (),
                     "a Private Link Service: its domain names, as created", id="azure-pls"),
        pytest.param({"aws": {"endpointService": _S3,
                              "resourceNames": ["bucket-1", "bucket-2"]}}, (),
                     "S3: the bucket list, as created", id="aws-s3"),
        pytest.param({"aws": {"endpointService": _S3, "resourceNames": ["bucket-1"],
                              "enabled": True}},
                     ("enabled",), "S3 rules are created disabled: enabling is the one PATCH",
                     id="aws-s3-enabled"),
        pytest.param({"aws": {"endpointService": _S3}}, (),
                     "S3 without buckets: an empty list equals none", id="aws-s3-no-buckets"),
        pytest.param({"aws": {"endpointService": _NLB, "domainNames": ["a.example.com"]}}, (),
                     "an endpoint service: its domain names, as created", id="aws-nlb"),
    ],
)  # fmt: skip
def test_a_fresh_rule_needs_only_what_create_cannot_set(
    spec: dict[str, Any], mask: tuple[str, ...], reason: str
) -> None:
    """The rule Databricks creates from a spec's create body (the emulator's validation stands
    for Databricks; S3 rules start disabled) is up to date for that spec but for ``enabled``."""
    resource = rule_resource(spec)
    cloud = resource.spec.cloud
    fields = validate_rule_create(desired_create(resource).to_wire(), str(cloud), "us-east-1")
    created = NccPrivateEndpointRule(**fields, enabled=False if str(cloud) == "aws" else None)
    assert rule_update_mask(desired_update(resource), created, cloud) == mask, reason


# --- natural keys -----------------------------------------------------------------------------


@FAST
@given(rid=azure_ids(), group=_GROUP, data=st.data())
def test_azure_key_ignores_the_case_of_the_resource_id(
    rid: str, group: str, data: st.DataObject
) -> None:
    """Azure resource ids are case-insensitive: any recasing of one names the same target."""
    other = data.draw(recased(rid), label="recased id")
    key = identity(CreatePrivateEndpointRule(resource_id=rid, group_id=group))
    assert identity(NccPrivateEndpointRule(resource_id=other, group_id=group)) == key


@FAST
@given(rid=azure_ids(), group=_GROUP, other_group=_GROUP, data=st.data())
def test_azure_key_differs_when_the_target_differs(
    rid: str, group: str, other_group: str, data: st.DataObject
) -> None:
    """Two targets are one key exactly when the ids are equal ignoring case and the group ids
    are equal: another resource, or another sub-resource of it, is another rule."""
    other = data.draw(st.one_of(azure_ids(), recased(rid)), label="other id")
    same = rid.lower() == other.lower() and group == other_group
    mine = identity(CreatePrivateEndpointRule(resource_id=rid, group_id=group))
    theirs = identity(CreatePrivateEndpointRule(resource_id=other, group_id=other_group))
    assert (mine == theirs) == same


@FAST
@given(rid=azure_ids(), before=_DOMAINS, after=_DOMAINS)
def test_azure_key_ignores_domain_name_edits(rid: str, before: list[str], after: list[str]) -> None:
    """``domainNames`` are mutable: a rule whose list was edited after a lost create is found."""
    first = rule_resource({"azure": {"resourceId": rid, "domainNames": before}})
    edited = rule_resource({"azure": {"resourceId": rid, "domainNames": after}})
    assert identity(desired_create(first)) == identity(desired_create(edited))


@FAST
@given(
    service=st.one_of(st.just(_S3), _VPCE),
    other=st.one_of(st.just(_S3), _VPCE),
    lists=st.tuples(_DOMAINS, _DOMAINS, _BUCKETS, _BUCKETS),
    enabled=st.tuples(st.none() | st.booleans(), st.none() | st.booleans()),
)
def test_aws_key_is_the_endpoint_service_alone(
    service: str,
    other: str,
    lists: tuple[list[str], list[str], list[str], list[str]],
    enabled: tuple[bool | None, bool | None],
) -> None:
    """AWS: the endpoint service is the key; bucket / domain lists and ``enabled`` are not."""

    def spec(svc: str, domains: list[str], buckets: list[str], on: bool | None) -> dict[str, Any]:
        if svc == _S3:
            return {"aws": {"endpointService": svc, "resourceNames": buckets, "enabled": on}}
        return {"aws": {"endpointService": svc, "domainNames": domains}}

    mine = desired_create(rule_resource(spec(service, lists[0], lists[2], enabled[0])))
    theirs = desired_create(rule_resource(spec(other, lists[1], lists[3], enabled[1])))
    assert (identity(mine) == identity(theirs)) == (service == other)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        pytest.param({"azure": {"resourceId": "/subscriptions/00000000-0000-0000-0000-000000000000"
                                "/resourceGroups/RG/providers/Microsoft.Storage/storageAccounts/S",
                                "groupId": "blob"}},
                     "Azure: the key of the spec is the key of the rule it creates", id="azure"),
        pytest.param({"aws": {"endpointService": _S3, "resourceNames": ["bucket-a"]}},
                     "S3 with its service named", id="aws-s3"),
        pytest.param({"aws": {"endpointService": "com.amazonaws.vpce.us-east-1.vpce-svc-"
                              "0123456789abcdef0"}},
                     "an endpoint service", id="aws-nlb"),
        # Found by the fuzz suite: the key of a bucket-only spec had no endpoint service, so it
        # never matched the rule Databricks creates for it (the regional S3 service filled in).
        pytest.param({"aws": {"resourceNames": ["bucket-a"]}},
                     "S3 by bucket names only: the NCC's regional S3 service",
                     id="aws-buckets-only"),
    ],
)  # fmt: skip
def test_a_spec_matches_the_rule_databricks_creates_for_it(
    spec: dict[str, Any], reason: str
) -> None:
    """The natural key exists to find a rule whose create answer was lost: the key computed from
    the spec, in the NCC's region, must equal the key of the rule Databricks returns for it."""
    resource = rule_resource(spec)
    body = desired_create(resource)
    created = NccPrivateEndpointRule(
        **validate_rule_create(body.to_wire(), str(resource.spec.cloud), "us-east-1")
    )
    assert in_region(identity(body), "us-east-1") == identity(created), reason


# --- error classification ---------------------------------------------------------------------

_STATUS = st.integers(min_value=100, max_value=599)
_KNOWN_CODES = sorted(dbx.ERROR_CODE_MAPPING)
_CODE = st.one_of(
    st.none(),
    st.sampled_from([*_KNOWN_CODES, "PERMISSION_DENIED", "NOT_FOUND", "TEMPORARILY_UNAVAILABLE"]),
    st.from_regex(r"\A[A-Z_]{1,30}\Z"),
)
_UNKNOWN_CODE = _CODE.filter(lambda c: c not in dbx.ERROR_CODE_MAPPING)
_MESSAGE = st.text(max_size=200)


def _json_body(code: str | None, message: str) -> bytes:
    payload: dict[str, Any] = {"message": message}
    if code is not None:
        payload["error_code"] = code
    return json.dumps(payload).encode()


_BODY = st.one_of(
    st.binary(max_size=300),
    st.builds(_json_body, _CODE, _MESSAGE),
    st.builds(lambda c, m: f"{c}: {m}".encode(), st.from_regex(r"\A[A-Z_]{1,20}\Z"), _MESSAGE),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=10,
    ).map(lambda v: json.dumps(v).encode()),
)


@FAST
@given(status=_STATUS, body=_BODY, retry_after=st.none() | st.floats(0, 3600))
def test_classification_and_translation_are_total(
    status: int, body: bytes, retry_after: float | None
) -> None:
    """Whatever an error response holds, it becomes one error, one kind and one problem with a
    message: the reconcile never dies on an odd answer."""
    error = error_from_response(status, body, retry_after=retry_after, method="GET", path="/p")
    assert isinstance(error, dbx.DatabricksError)
    assert error.status_code == status
    kind = classify(error)
    assert kind in set(ErrorKind)
    problem = problem_from(error, doing="reading the rule")
    assert problem.message.startswith("Databricks reading the rule failed: ")
    assert problem.reason


@FAST
@given(status=_STATUS, code=_CODE, one=_MESSAGE, two=_MESSAGE)
def test_the_kind_never_depends_on_the_message(
    status: int, code: str | None, one: str, two: str
) -> None:
    """Selection is by ``error_code``, then the status: the free text never decides."""
    first = error_from_response(status, _json_body(code, one))
    second = error_from_response(status, _json_body(code, two))
    assert type(first) is type(second)
    assert classify(first) is classify(second)
    assert type(problem_from(first, doing="x")) is type(problem_from(second, doing="x"))


@FAST
@given(status=st.integers(500, 599), code=_CODE, message=_MESSAGE)
def test_every_5xx_is_transient(status: int, code: str | None, message: str) -> None:
    """A server-side failure is retried, whatever error code it carries (no code maps to auth
    or to an unknown outcome, and the status fallback makes the rest transient)."""
    error = error_from_response(status, _json_body(code, message))
    assert classify(error) is ErrorKind.TRANSIENT
    assert dbx.is_retryable(error)
    assert isinstance(problem_from(error, doing="x"), Transient)


@FAST
@given(code=_UNKNOWN_CODE, message=_MESSAGE, retry_after=st.none() | st.floats(0.5, 3600))
def test_429_is_throttling_and_honours_retry_after(
    code: str | None, message: str, retry_after: float | None
) -> None:
    """HTTP 429 without a more specific error code is throttling: transient, retried after the
    server's Retry-After when it gave one (the default pace otherwise)."""
    error = error_from_response(429, _json_body(code, message), retry_after=retry_after)
    assert isinstance(error, dbx.TooManyRequests)
    assert classify(error) is ErrorKind.TRANSIENT
    problem = problem_from(error, doing="x")
    assert isinstance(problem, Transient)
    assert problem.retry_after == (retry_after or DEFAULT_TRANSIENT_RETRY)


@FAST
@given(status=st.sampled_from([401, 403]), code=_UNKNOWN_CODE, message=_MESSAGE)
def test_401_and_403_are_auth(status: int, code: str | None, message: str) -> None:
    """Credentials or permissions: kind auth, problem AuthFailed (retried slowly)."""
    error = error_from_response(status, _json_body(code, message))
    assert classify(error) is ErrorKind.AUTH
    assert isinstance(problem_from(error, doing="x"), AuthFailed)


@FAST
@given(status=st.integers(400, 599), message=_MESSAGE)
def test_resource_exhausted_is_a_slow_retry_at_any_status(status: int, message: str) -> None:
    """A quota is freed elsewhere: retried every few minutes, never terminal, whatever the
    status it arrived with (Databricks sends it with 400 too)."""
    error = error_from_response(status, _json_body("RESOURCE_EXHAUSTED", message))
    problem = problem_from(error, doing="x")
    assert isinstance(problem, Transient)
    assert problem.retry_after == 300.0
    assert not problem.terminal


@FAST
@given(status=_STATUS, code=_CODE, message=_MESSAGE)
def test_only_terminal_kinds_become_invalid_spec(
    status: int, code: str | None, message: str
) -> None:
    """InvalidSpec (nothing retried until the spec changes) exactly for terminal errors, except
    a duplicate create, which is looked up again and adopted."""
    error = error_from_response(status, _json_body(code, message))
    problem = problem_from(error, doing="x")
    terminal = classify(error) is ErrorKind.TERMINAL
    duplicate = isinstance(error, dbx.ResourceAlreadyExists)
    assert isinstance(problem, InvalidSpec) == (terminal and not duplicate)
    assert problem.terminal == isinstance(problem, InvalidSpec)


@pytest.mark.parametrize(
    ("error", "kind", "problem", "reason"),
    [
        pytest.param(dbx.OutcomeUnknown("lost"), ErrorKind.OUTCOME_UNKNOWN, OutcomeUnknown,
                     "a create may have happened: look it up first", id="outcome-unknown"),
        pytest.param(dbx.CredentialsError("invalid_client"), ErrorKind.AUTH, AuthFailed,
                     "rejected credentials", id="credentials"),
        pytest.param(dbx.CredentialsUnavailable("idp down"), ErrorKind.TRANSIENT, Transient,
                     "an unreachable identity provider is no verdict on the credentials",
                     id="credentials-unavailable"),
        pytest.param(dbx.DatabricksConnectionError("reset"), ErrorKind.TRANSIENT, Transient,
                     "no response at all", id="connection"),
        pytest.param(dbx.ClientRateLimitTooLow("1e-9 rps"), ErrorKind.TRANSIENT, Transient,
                     "our own limit is too low: retried, never terminal", id="client-rate"),
        pytest.param(dbx.InvalidState("has rules", status_code=400), ErrorKind.TRANSIENT,
                     Transient, "an NCC delete blocked by dependents succeeds later",
                     id="invalid-state"),
        pytest.param(dbx.ResourceAlreadyExists("dup", status_code=409), ErrorKind.TERMINAL,
                     Transient, "a duplicate create is adopted, not reported invalid",
                     id="already-exists"),
        pytest.param(dbx.InvalidParameterValue("bad", status_code=400), ErrorKind.TERMINAL,
                     InvalidSpec, "the request itself is wrong", id="invalid-parameter"),
        pytest.param(dbx.DatabricksError("odd", status_code=None), ErrorKind.TERMINAL,
                     InvalidSpec, "nothing known about it: not retried blindly", id="bare"),
    ],
)  # fmt: skip
def test_errors_without_a_response_classify_as_documented(
    error: dbx.DatabricksError, kind: ErrorKind, problem: type[Exception], reason: str
) -> None:
    assert classify(error) is kind, reason
    assert type(problem_from(error, doing="x")) is problem, reason


# Found by this suite: a deeply nested JSON error body (a misbehaving proxy's) made json.loads
# raise RecursionError, which parse_error_body did not catch, so error_from_response raised
# instead of returning a classified (here transient, 503) error.
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"[" * 100_000, "deeply nested JSON array", id="nested-array"),
        pytest.param(b'{"a":' * 100_000, "deeply nested JSON object",
                     id="nested-object"),
    ],
)  # fmt: skip
def test_error_parsing_survives_deeply_nested_bodies(body: bytes, reason: str) -> None:
    error = error_from_response(503, body)
    assert classify(error) is ErrorKind.TRANSIENT, reason


# --- Azure resource ids -----------------------------------------------------------------------


@FAST
@given(rid=azure_ids(), group=_GROUP)
def test_every_realistic_azure_id_is_accepted_unchanged(rid: str, group: str) -> None:
    """Any id of the documented shape passes the format and the model, and the model keeps it as
    written (no normalisation: Databricks gets what the user wrote; matching ignores case)."""
    assert _rid_ok(rid)
    target = AzureTarget.model_validate({"resourceId": rid, "groupId": group})
    assert target.resource_id == rid
    assert AzureTarget.model_validate(target.to_k8s()) == target


@FAST
@given(rid=azure_ids(), data=st.data())
def test_keyword_case_never_changes_the_verdict(rid: str, data: st.DataObject) -> None:
    """``resourcegroups`` (az CLI) and ``resourceGroups`` (ARM), ``Providers`` or ``PROVIDERS``:
    the same id, accepted equally."""
    parts = rid.split("/")
    for index in (1, 3, 5):  # subscriptions, resourceGroups, providers
        parts[index] = data.draw(recased(parts[index]), label=f"segment {index}")
    assert _rid_ok("/".join(parts))


def _segment(rid: str, index: int, change: Any) -> str:
    parts = rid.split("/")
    parts[index] = change(parts[index])
    return "/".join(parts)


_BREAKS = [
    pytest.param(lambda r: r + "/blobServices/default", "a child resource", id="child"),
    pytest.param(lambda r: r + "\n", "a trailing newline", id="newline"),
    pytest.param(lambda r: r + "/", "a trailing slash", id="trailing-slash"),
    pytest.param(lambda r: r.replace("/", "//", 1), "an empty segment", id="empty-segment"),
    pytest.param(lambda r: " " + r, "leading space", id="leading-space"),
    pytest.param(lambda r: r.replace("/", "\\"), "backslashes", id="backslashes"),
    pytest.param(lambda r: r + "?api-version=1", "a query string", id="query"),
    pytest.param(lambda r: "https://management.azure.com" + r, "a URL", id="url"),
    pytest.param(lambda r: _segment(r, 5, lambda s: s[:-1]), "a misspelt keyword",
                 id="misspelt"),
    pytest.param(lambda r: _segment(r, 4, lambda s: s + "."), "a resource group ending in '.'",
                 id="rg-period"),
    pytest.param(lambda r: _segment(r, 4, lambda s: "r" * 91), "a 91-character resource group",
                 id="rg-too-long"),
    pytest.param(lambda r: _segment(r, 6, lambda s: s.split(".")[0]),
                 "a provider namespace without a provider", id="namespace-only"),
    pytest.param(lambda r: r.replace("-", "", 1), "a subscription that is not a GUID",
                 id="not-guid"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "reason"), _BREAKS)
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(rid=azure_ids())
@example(rid="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
         "Microsoft.Storage/storageAccounts/mystorage")  # fmt: skip
def test_broken_azure_ids_are_refused(rid: str, mutate: Any, reason: str) -> None:
    """Each way of breaking a valid id is refused, whatever the id it breaks."""
    broken = mutate(rid)
    assert not _rid_ok(broken), reason
    with pytest.raises(ValueError, match="must be an Azure resource id"):
        AzureTarget.model_validate({"resourceId": broken, "groupId": "blob"})
