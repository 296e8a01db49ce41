"""Input validation for create and PATCH bodies, with the service's known messages.

Pure functions over plain JSON: they raise ``ApiError`` and never touch the store, so the rules
(per-cloud target fields, the NCC name pattern, update-mask semantics) are readable in one place.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import invalid_parameter, invalid_state
from .models import S3_SUFFIX, Rule

NCC_NAME_RE = re.compile(r"^[0-9a-zA-Z\-_]{3,30}$")
MAX_DOMAIN_NAMES = 10
NCC_MASKABLE = frozenset({"name", "billing_workspace_id"})
AZURE_FIELDS = frozenset({"resource_id", "group_id"})
AWS_FIELDS = frozenset({"endpoint_service", "resource_names"})
GCP_FIELDS = frozenset({"gcp_endpoint"})
SERVICE_ATTACHMENT_RE = re.compile(
    r"^projects/(?P<project>[a-z][-a-z0-9]{4,28}[a-z0-9])/regions/(?P<region>[a-z0-9-]+)/"
    r"serviceAttachments/(?P<name>[a-z]([-a-z0-9]{0,61}[a-z0-9])?)$"
)
RULE_OUTPUT_FIELDS = frozenset(
    {
        "rule_id", "network_connectivity_config_id", "account_id", "connection_state",
        "creation_time", "updated_time", "deactivated", "deactivated_at", "endpoint_name",
        "vpc_endpoint_id", "error_message",
    }
)  # fmt: skip
RULE_IMMUTABLE = frozenset({"resource_id", "group_id", "endpoint_service", "gcp_endpoint"})
# The fields of the SDK's ``provisioning.Workspace``: identity/output ones (never updatable here)
# and the others, which a PATCH may name (the NCC attachment is modelled; the rest is stored).
WORKSPACE_FIXED = frozenset(
    {
        "account_id", "workspace_id", "creation_time", "workspace_status",
        "workspace_status_message", "cloud", "aws_region", "location", "deployment_name",
    }
)  # fmt: skip
WORKSPACE_UPDATABLE = frozenset(
    {
        "azure_workspace_info", "cloud_resource_container", "compute_mode", "credentials_id",
        "custom_tags", "expected_workspace_status", "gcp_managed_network_config", "gke_config",
        "managed_services_customer_managed_key_id", "network", "network_connectivity_config_id",
        "network_id", "pricing_tier", "private_access_settings_id", "storage_configuration_id",
        "storage_customer_managed_key_id", "storage_mode", "workspace_name",
    }
)  # fmt: skip
NCC_FIELD = "network_connectivity_config_id"


def unwrap(body: Any, key: str) -> dict[str, Any]:
    """Accept the documented unwrapped object, and tolerate ``{"<key>": {...}}``."""
    if not isinstance(body, dict):
        raise invalid_parameter("Request body must be a JSON object.")
    inner = body.get(key)
    if len(body) == 1 and isinstance(inner, dict):
        return inner
    return body


def validate_ncc_name(name: Any) -> str:
    if not isinstance(name, str) or not NCC_NAME_RE.match(name):
        raise invalid_parameter(
            f"Invalid name {name!r}: must match ^[0-9a-zA-Z-_]{{3,30}}$ (3-30 letters, "
            "digits, '-' or '_')."
        )
    return name


def validate_ncc_create(body: dict[str, Any]) -> tuple[str, str]:
    name = validate_ncc_name(body.get("name"))
    region = body.get("region")
    if not isinstance(region, str) or not region.strip():
        raise invalid_parameter("Field 'region' is required.")
    return name, region


def parse_mask(raw: str | None) -> list[str]:
    fields = [f.strip() for f in (raw or "").split(",") if f.strip()]
    if not fields:
        raise invalid_parameter("Update mask must be specified")
    return fields


def _string_list(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid_parameter(f"Field '{key}' must be a list of non-empty strings.")
    if key == "domain_names" and len(value) > MAX_DOMAIN_NAMES:
        raise invalid_parameter(f"At most {MAX_DOMAIN_NAMES} domain names are allowed per rule.")
    return list(value)


def _optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or not value):
        raise invalid_parameter(f"Field '{key}' must be a non-empty string.")
    return value


def _validate_azure(body: dict[str, Any]) -> dict[str, Any]:
    foreign = sorted(k for k in AWS_FIELDS | GCP_FIELDS if body.get(k))
    if foreign:
        raise invalid_parameter(f"Fields {foreign} are not supported for Azure NCCs.")
    resource_id = _optional_str(body, "resource_id")
    group_id = _optional_str(body, "group_id")
    domains = _string_list(body, "domain_names")
    if not resource_id:
        raise invalid_parameter("Field 'resource_id' is required for Azure private endpoint rules.")
    if bool(group_id) == bool(domains):
        raise invalid_parameter("Exactly one of 'group_id' or 'domain_names' must be specified.")
    return {"resource_id": resource_id, "group_id": group_id, "domain_names": domains}


def _validate_aws(body: dict[str, Any], region: str) -> dict[str, Any]:
    foreign = sorted(k for k in AZURE_FIELDS | GCP_FIELDS if body.get(k))
    if foreign:
        raise invalid_parameter(f"Fields {foreign} are not supported for AWS NCCs.")
    service = _optional_str(body, "endpoint_service")
    buckets = _string_list(body, "resource_names")
    domains = _string_list(body, "domain_names")
    if not service and not buckets:
        raise invalid_parameter("One of 'endpoint_service' or 'resource_names' is required.")
    if buckets and domains:
        raise invalid_parameter("'resource_names' and 'domain_names' are mutually exclusive.")
    is_s3 = service is None or service.endswith(S3_SUFFIX)
    if buckets and not is_s3:
        raise invalid_parameter("'resource_names' is only supported for S3 endpoint services.")
    if domains and is_s3:
        raise invalid_parameter("'domain_names' is not supported for S3 endpoint services.")
    if service is None:
        # A bucket-only rule targets the regional S3 service, as the service fills it in.
        service = f"com.amazonaws.{region}.s3"
    return {"endpoint_service": service, "resource_names": buckets, "domain_names": domains}


def _validate_gcp(body: dict[str, Any], region: str) -> dict[str, Any]:
    """``gcp_endpoint`` with exactly one non-empty target (PY-SET's "oneof"; Terraform PR #5973
    checks the same: ``false``, ``""`` and ``[]`` count as absent); ``domain_names`` go with a
    service attachment only, which must be in the NCC's region (a PSC endpoint and its service
    attachment share a region, GCP-PSC). ``psc_endpoint_uri`` is output-only: dropped."""
    foreign = sorted(k for k in AZURE_FIELDS | AWS_FIELDS if body.get(k))
    if foreign:
        raise invalid_parameter(f"Fields {foreign} are not supported for GCP NCCs.")
    endpoint = body.get("gcp_endpoint")
    if not isinstance(endpoint, dict):
        raise invalid_parameter("Field 'gcp_endpoint' is required for GCP private endpoint rules.")
    attachment = endpoint.get("service_attachment") or None
    apis = (endpoint.get("google_api_endpoints") or {}).get("endpoints") or []
    all_vpc_sc = endpoint.get("all_vpc_sc_services") is True
    if sum((attachment is not None, bool(apis), all_vpc_sc)) != 1:
        raise invalid_parameter(
            "Exactly one of 'gcp_endpoint.service_attachment', "
            "'gcp_endpoint.google_api_endpoints' or 'gcp_endpoint.all_vpc_sc_services' must be "
            "specified."
        )
    domains = _string_list(body, "domain_names")
    stored: dict[str, Any]
    if attachment is not None:
        match = SERVICE_ATTACHMENT_RE.match(str(attachment))
        if match is None:
            raise invalid_parameter(
                f"Invalid service attachment {attachment!r}: expected "
                "projects/<project>/regions/<region>/serviceAttachments/<name>."
            )
        if match["region"] != region:
            raise invalid_parameter(
                f"Service attachment {attachment} is in region {match['region']}, not in the "
                f"network connectivity configuration's region {region}."
            )
        stored = {"service_attachment": attachment}
    elif domains:
        raise invalid_parameter("'domain_names' is only supported with a service attachment.")
    elif apis:
        if not all(isinstance(a, str) and a for a in apis):
            raise invalid_parameter("'google_api_endpoints.endpoints' must be host names.")
        stored = {"google_api_endpoints": {"endpoints": list(apis)}}
    else:
        stored = {"all_vpc_sc_services": True}
    return {"gcp_endpoint": stored, "domain_names": domains}


def validate_rule_create(body: dict[str, Any], cloud: str, region: str) -> dict[str, Any]:
    """Return the stored target fields; ``enabled`` and output fields are silently dropped."""
    if cloud == "azure":
        return _validate_azure(body)
    if cloud == "gcp":
        return _validate_gcp(body, region)
    return _validate_aws(body, region)


def validate_rule_mask(rule: Rule, fields: list[str]) -> None:
    """Refuse masks the service refuses, before anything is changed (all-or-nothing)."""
    if rule.cloud == "azure" and "enabled" in fields:
        raise invalid_parameter(
            f"Updating fields enabled for Azure private endpoint rule {rule.rule_id} is not "
            "supported. No updates were attempted."
        )
    for name in fields:
        if name in RULE_IMMUTABLE or name in RULE_OUTPUT_FIELDS:
            raise invalid_parameter(f"Field '{name}' cannot be updated.")
        allowed = _updatable_fields(rule)
        if name not in allowed:
            raise invalid_parameter(
                f"Invalid update mask field '{name}' for private endpoint rule {rule.rule_id}; "
                f"updatable fields: {sorted(allowed) or 'none'}."
            )
    if rule.deactivated:
        raise invalid_state(f"Private endpoint rule {rule.rule_id} is deactivated.")
    if "enabled" in fields and rule.connection_state != "ESTABLISHED":
        raise invalid_state(
            f"Private endpoint rule {rule.rule_id} must be ESTABLISHED to update 'enabled' "
            f"(current state: {rule.connection_state})."
        )


def _updatable_fields(rule: Rule) -> frozenset[str]:
    if rule.cloud == "gcp":
        # Customer services (service attachments) take domain names; the target itself is
        # immutable (RULE_IMMUTABLE), as Terraform marks it create-only.
        attachment = (rule.gcp_endpoint or {}).get("service_attachment")
        return frozenset({"domain_names"}) if attachment else frozenset()
    if rule.cloud == "azure":
        # Only customer-managed targets (Private Link services with domain names) are updatable.
        return frozenset({"domain_names"}) if rule.domain_names else frozenset()
    if rule.is_s3:
        return frozenset({"resource_names", "enabled"})
    return frozenset({"domain_names"})


def apply_rule_patch(rule: Rule, body: dict[str, Any], fields: list[str]) -> None:
    """Masked lists are replaced wholesale; every value is checked before anything changes."""
    updates: dict[str, Any] = {}
    for name in fields:
        if name == "enabled":
            value = body.get("enabled", False)
            if not isinstance(value, bool):
                raise invalid_parameter("Field 'enabled' must be a boolean.")
            updates[name] = value
        else:
            values = _string_list(body, name)
            if not values:
                # An empty list would leave the rule without a target (or, on Azure, make it
                # neither a group_id nor a domain_names rule).
                raise invalid_parameter(f"Field '{name}' must not be empty.")
            updates[name] = values
    for name, value in updates.items():
        setattr(rule, name, value)


def workspace_changes(mask: str | None, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The fields a workspace PATCH sets (``None`` = clear) and whether it is a full replacement.

    provisioning.py documents comma-separated masks and ``*`` (full replacement); without a mask
    the legacy flat body attaches an NCC. Unknown or identity/output fields in a mask are refused.
    """
    if mask is None:
        if NCC_FIELD not in body:
            raise invalid_parameter(f"Field '{NCC_FIELD}' must be specified.")
        return {NCC_FIELD: body.get(NCC_FIELD)}, False
    fields = parse_mask(mask)
    if fields == ["*"]:
        # A full object as read back carries identity/output fields too: those are ignored.
        return {name: body.get(name) for name in WORKSPACE_UPDATABLE}, True
    for name in fields:
        if name in WORKSPACE_FIXED:
            raise invalid_parameter(f"Field '{name}' of a workspace cannot be updated.")
        if name not in WORKSPACE_UPDATABLE:
            raise invalid_parameter(
                f"Invalid update mask field '{name}': not a field of Workspace."
            )
    return {name: body.get(name) for name in fields}, False
