"""``update_mask`` rules: which fields each PATCH may name, and the minimal mask from a field diff.

Databricks PATCH endpoints take ``update_mask`` as a comma-separated query parameter and reject an
empty one ("Update mask must be specified"); Azure rules also reject ``enabled`` in the mask
(terraform-provider-databricks #5306, #5347). So masks are validated locally before anything is
sent, and :func:`rule_update_mask` computes the smallest mask from desired-vs-observed, in the
style of ACK's ``compare/delta``: only fields the caller set and that differ.
"""

from __future__ import annotations

from collections.abc import Iterable

from .models import Cloud, NccPrivateEndpointRule, UpdatePrivateEndpointRule, WireModel

NCC_MASK_FIELDS = ("name", "billing_workspace_id")
RULE_MASK_FIELDS = ("domain_names", "resource_names", "enabled", "gcp_endpoint")
WORKSPACE_NCC_MASK = "network_connectivity_config_id"

# Which rule fields a cloud can update at all; ``enabled`` is S3-only, never Azure.
_RULE_FIELDS_BY_CLOUD: dict[Cloud, tuple[str, ...]] = {
    Cloud.AZURE: ("domain_names",),
    Cloud.AWS: ("domain_names", "resource_names", "enabled"),
    # A service attachment's domain names (like Azure's and AWS's customer services); the
    # target itself is create-only (docs/serverless-egress.md §4.2).
    Cloud.GCP: ("domain_names", "gcp_endpoint"),
}


def rule_mask_fields(cloud: Cloud | str | None) -> tuple[str, ...]:
    """Rule fields a PATCH may name on ``cloud`` (all of them when the cloud is unknown)."""
    return RULE_MASK_FIELDS if cloud is None else _RULE_FIELDS_BY_CLOUD[Cloud(cloud)]


def normalize_mask(mask: str | Iterable[str], allowed: Iterable[str]) -> tuple[str, ...]:
    """Validate a mask and return its fields, deduplicated, in the order given.

    Raises ``ValueError`` for an empty mask or a field outside ``allowed`` — such a PATCH would
    be refused by Databricks, so it is never sent.
    """
    fields = mask.split(",") if isinstance(mask, str) else list(mask)
    cleaned = tuple(dict.fromkeys(f.strip() for f in fields if f.strip()))
    if not cleaned:
        raise ValueError("update_mask must name at least one field; refusing to send a PATCH")
    unknown = [f for f in cleaned if f not in set(allowed)]
    if unknown:
        raise ValueError(f"update_mask fields not updatable here: {', '.join(unknown)}")
    return cleaned


def rule_update_mask(
    desired: UpdatePrivateEndpointRule,
    observed: NccPrivateEndpointRule,
    cloud: Cloud | str,
) -> tuple[str, ...]:
    """Minimal mask for a rule PATCH: fields set in ``desired`` that differ from ``observed``.

    Lists are compared as sets (the server may reorder them, and order carries no meaning for
    domain or bucket names); an absent list equals an empty one. Fields that ``cloud`` cannot
    update are never included — in particular ``enabled`` for Azure. An empty result means
    "nothing to do": do not PATCH.
    """
    mask: list[str] = []
    for field in rule_mask_fields(cloud):
        want = getattr(desired, field)
        if want is None:
            continue
        if not _same(want, getattr(observed, field)):
            mask.append(field)
    return tuple(mask)


def _same(want: object, have: object) -> bool:
    if isinstance(want, list):
        return set(want) == set(have if isinstance(have, list) else [])
    if isinstance(want, WireModel):
        # Compare only what the caller set: output-only parts (``psc_endpoint_uri``) never count.
        seen = have.to_wire() if isinstance(have, WireModel) else {}
        return all(seen.get(key) == value for key, value in want.to_wire().items())
    return want == have
