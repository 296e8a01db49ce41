"""One source of truth: the CRDs in crds/ and the pydantic models describe the same API.

For each kind, spec and status are walked in both trees (schema_diff.py): property names at every
level, required sets, enums, types, defaults and size/pattern constraints must agree. A field added
on one side only fails here with the path of the field.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import BaseModel

from ncc_operator import models
from ncc_operator.models import (
    CustomResource,
    DatabricksAccountResource,
    NetworkConnectivityConfigResource,
    NetworkPolicyResource,
    PrivateEndpointRuleResource,
)

from .schema_diff import crd_schema, diff, load_crd, normalise_crd, normalise_model

KINDS: list[tuple[type[CustomResource[Any, Any]], str]] = [
    (DatabricksAccountResource, "dbxaccount"),
    (NetworkConnectivityConfigResource, "ncc"),
    (PrivateEndpointRuleResource, "per"),
    (NetworkPolicyResource, "dbxnp"),
]


def _model_node(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True)
    return normalise_model(schema, schema.get("$defs", {}))


def _part_types(resource: type[CustomResource[Any, Any]]) -> dict[str, type[BaseModel]]:
    fields = resource.model_fields
    spec, status = fields["spec"].annotation, fields["status"].annotation
    parts = {"spec": spec, "status": status}
    for part in parts.values():
        assert isinstance(part, type)
        assert issubclass(part, BaseModel)
    return parts  # type: ignore[return-value]  # narrowed by the asserts above


@pytest.mark.parametrize(("resource", "short"), KINDS, ids=[k.KIND for k, _ in KINDS])
@pytest.mark.parametrize("part", ["spec", "status"])
def test_model_agrees_with_crd(
    resource: type[CustomResource[Any, Any]], short: str, part: str
) -> None:
    crd_part = crd_schema(load_crd(resource.PLURAL))["properties"][part]
    problems = diff(normalise_crd(crd_part), _model_node(_part_types(resource)[part]), part)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("resource", "short"), KINDS, ids=[k.KIND for k, _ in KINDS])
def test_crd_names_match_the_package_constants(
    resource: type[CustomResource[Any, Any]], short: str
) -> None:
    crd = load_crd(resource.PLURAL)
    names = crd["spec"]["names"]
    assert crd["metadata"]["name"] == f"{resource.PLURAL}.{models.GROUP}"
    assert crd["spec"]["group"] == models.GROUP
    assert crd["spec"]["scope"] == "Namespaced"
    assert (names["kind"], names["plural"]) == (resource.KIND, resource.PLURAL)
    assert names["categories"] == ["databricks"]
    assert short in names["shortNames"]
    (version,) = crd["spec"]["versions"]
    assert (version["name"], version["served"], version["storage"]) == (models.VERSION, True, True)
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns[:3] == ["Ready", "Synced", "ID"], columns
    assert columns[-1] == "Age", columns


def _undescribed(schema: dict[str, Any], path: str) -> list[str]:
    missing = [] if schema.get("description", "").strip() else [path]
    for name, sub in schema.get("properties", {}).items():
        if name != "metadata":  # Kubernetes documents ObjectMeta itself
            missing += _undescribed(sub, f"{path}.{name}")
    return missing


@pytest.mark.parametrize("resource", [k for k, _ in KINDS], ids=[k.KIND for k, _ in KINDS])
def test_every_field_has_a_description(resource: type[CustomResource[Any, Any]]) -> None:
    # `kubectl explain` is the user's manual: an undocumented field is a bug.
    assert _undescribed(crd_schema(load_crd(resource.PLURAL)), resource.KIND) == []


def _without(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    edited = copy.deepcopy(schema)
    *parents, leaf = path
    node = edited
    for name in parents:
        node = node["properties"][name]
    del node["properties"][leaf]
    return edited


def _with(schema: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    edited = copy.deepcopy(schema)
    *parents, leaf = path
    node = edited
    for name in parents:
        node = node["properties"][name] if name in node.get("properties", {}) else node[name]
    node[leaf] = value
    return edited


RULE_SPEC = crd_schema(load_crd("privateendpointrules"))["properties"]["spec"]
NCC_SPEC = crd_schema(load_crd("networkconnectivityconfigs"))["properties"]["spec"]


@pytest.mark.parametrize(
    ("crd_spec", "model", "expected"),
    [
        pytest.param(
            _without(RULE_SPEC, "aws", "enabled"),
            models.PrivateEndpointRuleSpec,
            "spec.aws.enabled: in the model only",
            id="field-missing-from-crd",
        ),
        pytest.param(
            _with(
                RULE_SPEC, {"type": "string", "description": "x"}, "azure", "properties", "extra"
            ),
            models.PrivateEndpointRuleSpec,
            "spec.azure.extra: in the CRD only",
            id="field-missing-from-model",
        ),
        pytest.param(
            _with(RULE_SPEC, "Orphan", "deletionPolicy", "default"),
            models.PrivateEndpointRuleSpec,
            "spec.deletionPolicy: default differs",
            id="default-changed",
        ),
        pytest.param(
            _with(NCC_SPEC, ["Same", "All"], "allowedRuleNamespaces", "from", "enum"),
            models.NetworkConnectivityConfigSpec,
            "spec.allowedRuleNamespaces.from: enum differs",
            id="enum-changed",
        ),
        pytest.param(
            _with(NCC_SPEC, ["accountRef"], "required"),
            models.NetworkConnectivityConfigSpec,
            "spec: required differs",
            id="required-changed",
        ),
        pytest.param(
            _with(NCC_SPEC, {"type": "string"}, "workspaceIds", "items"),
            models.NetworkConnectivityConfigSpec,
            "spec.workspaceIds[]: type differs",
            id="item-type-changed",
        ),
        pytest.param(
            _with(NCC_SPEC, {"from": "All"}, "allowedRuleNamespaces", "default"),
            models.NetworkConnectivityConfigSpec,
            "spec.allowedRuleNamespaces: default differs",
            id="object-default-changed",
        ),
    ],
)
def test_diff_names_the_path_of_a_one_sided_change(
    crd_spec: dict[str, Any], model: type[BaseModel], expected: str
) -> None:
    # The agreement test is only as good as its differ: prove it catches each kind of drift.
    problems = diff(normalise_crd(crd_spec), _model_node(model), "spec")
    assert any(p.startswith(expected) for p in problems), problems
