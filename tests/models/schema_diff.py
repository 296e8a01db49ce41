"""Compare a CRD's OpenAPI v3 schema with a pydantic model's JSON schema, generically.

Both trees are first normalised to the same small vocabulary — type, format, enum, default,
required, properties, items, additionalProperties and the size/pattern/range constraints — and then
walked side by side. Every difference becomes one line naming its path (``spec.aws.enabled``), so
a field added to one side only fails with a message that says where.

What is deliberately not compared: descriptions, CEL rules and ``x-kubernetes-*`` markers (the
models cannot express them; the API-server tests in ``tests/crds`` cover them), and ``format:
int64`` (a Kubernetes wire detail pydantic has no word for).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CRD_DIR = ROOT / "crds"

_CONSTRAINTS = ("minLength", "maxLength", "minItems", "maxItems", "maxProperties", "pattern")
_FORMATS = frozenset({"date-time"})


def load_crd(plural: str) -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load((CRD_DIR / f"{plural}.yaml").read_text())
    return crd


def crd_schema(crd: dict[str, Any]) -> dict[str, Any]:
    """The openAPIV3Schema of the one (storage) version."""
    (version,) = crd["spec"]["versions"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def normalise_crd(schema: dict[str, Any]) -> dict[str, Any]:
    node = _common(schema)
    if "default" in schema:
        node["default"] = _drop_none(apply_defaults(schema, schema["default"]))
    for key in ("properties",):
        if key in schema:
            node[key] = {name: normalise_crd(sub) for name, sub in schema[key].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            node[key] = normalise_crd(schema[key])
    if schema.get("exclusiveMinimum") is True:
        node["exclusiveMinimum"] = node.pop("minimum")
    return node


def apply_defaults(schema: dict[str, Any], value: Any) -> Any:
    """Structural defaulting as the apiserver does it: nested defaults fill absent keys."""
    if isinstance(value, dict) and "properties" in schema:
        filled = dict(value)
        for name, sub in schema["properties"].items():
            if name not in filled and "default" in sub:
                filled[name] = sub["default"]
            if name in filled:
                filled[name] = apply_defaults(sub, filled[name])
        return filled
    return value


def normalise_model(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    schema = _resolve(schema, defs)
    node = _common(schema)
    if schema.get("default") is not None:
        node["default"] = _drop_none(schema["default"])
    if "properties" in schema:
        node["properties"] = {n: normalise_model(s, defs) for n, s in schema["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            node[key] = normalise_model(schema[key], defs)
    if "exclusiveMinimum" in schema:  # JSON Schema 2020-12 spelling: a number, not a flag
        node["exclusiveMinimum"] = schema["exclusiveMinimum"]
    return node


def diff(crd: dict[str, Any], model: dict[str, Any], path: str) -> list[str]:
    """Differences between two normalised nodes, one line each, CRD side first."""
    problems: list[str] = []
    for key in sorted(
        (crd.keys() | model.keys()) - {"properties", "items", "additionalProperties"}
    ):
        if crd.get(key) != model.get(key):
            problems.append(
                f"{path}: {key} differs: CRD {crd.get(key)!r} != model {model.get(key)!r}"
            )
    crd_props, model_props = crd.get("properties", {}), model.get("properties", {})
    for name in sorted(crd_props.keys() | model_props.keys()):
        child = f"{path}.{name}"
        if name not in model_props:
            problems.append(f"{child}: in the CRD only (add it to the model)")
        elif name not in crd_props:
            problems.append(f"{child}: in the model only (add it to the CRD)")
        else:
            problems += diff(crd_props[name], model_props[name], child)
    for key, suffix in (("items", "[]"), ("additionalProperties", "{}")):
        if (key in crd) != (key in model):
            problems.append(
                f"{path}{suffix}: {key} only on the {'CRD' if key in crd else 'model'} side"
            )
        elif key in crd:
            problems += diff(crd[key], model[key], f"{path}{suffix}")
    return problems


def _common(schema: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": schema.get("type")}
    if schema.get("format") in _FORMATS:
        node["format"] = schema["format"]
    if "enum" in schema:
        node["enum"] = sorted(schema["enum"])
    if schema.get("required"):
        node["required"] = sorted(schema["required"])
    for bound in ("minimum", "maximum"):
        if bound in schema:
            node[bound] = schema[bound]
    for key in _CONSTRAINTS:
        if key in schema:
            node[key] = schema[key]
    return node


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and unwrap ``X | None`` (an optional field is simply absent in the CRD)."""
    if "$ref" in schema:
        target = defs[schema["$ref"].rsplit("/", 1)[-1]]
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return _resolve({**target, **siblings}, defs)
    options = schema.get("anyOf")
    if options:
        non_null = [o for o in options if o.get("type") != "null"]
        if len(non_null) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return _resolve({**non_null[0], **rest}, defs)
    return schema


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value
