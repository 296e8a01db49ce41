"""The private endpoint rule connection-state machine, evaluated lazily on the emulator clock.

Time-driven transitions (CREATING → PENDING/CREATE_FAILED/ESTABLISHED, expiry, the S3 VPC endpoint
id appearing, purge of deactivated rules) are computed from stored facts whenever a rule is read,
so the outcome depends only on the clock, never on a background task's timing. Owner actions
(approve / reject / disconnect) are the explicit transitions a cloud resource owner would make.
"""

from __future__ import annotations

import hashlib

from .errors import ApiError
from .models import Rule
from .settings import EmulatorConfig

EXPIRING_STATES = frozenset({"PENDING", "REJECTED", "DISCONNECTED"})

# state the owner action starts from → state it leads to.
OWNER_ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({"PENDING"}), "ESTABLISHED"),
    # An owner can reject a pending request or revoke an approved one (Azure "Reject").
    "reject": (frozenset({"PENDING", "ESTABLISHED"}), "REJECTED"),
    "disconnect": (frozenset({"ESTABLISHED"}), "DISCONNECTED"),
}


def target_of(rule: Rule) -> str:
    attachment = (rule.gcp_endpoint or {}).get("service_attachment")
    return rule.resource_id or rule.endpoint_service or attachment or ",".join(rule.resource_names)


def _derived_hex(rule: Rule, salt: str, length: int) -> str:
    return hashlib.sha256(f"{salt}:{rule.rule_id}".encode()).hexdigest()[:length]


def _enter(rule: Rule, state: str, at_ms: int) -> None:
    rule.connection_state = state
    rule.state_since = at_ms
    rule.updated_time = max(rule.updated_time, at_ms)
    if state == "PENDING":
        # The endpoint exists (pending approval) from PENDING on; while CREATING its name / id
        # are empty (PR #5743, Databricks staff).
        if rule.cloud == "aws":
            rule.vpc_endpoint_id = "vpce-" + _derived_hex(rule, "vpce", 17)
        elif rule.cloud == "gcp":
            # A consumer forwarding rule in a Databricks project (the shape of Terraform's test
            # fixture, projects/p/regions/r/forwardingRules/endpoint).
            project = "databricks-ncc-" + _derived_hex(rule, "project", 8)
            rule.gcp_endpoint = {
                **(rule.gcp_endpoint or {}),
                "psc_endpoint_uri": f"projects/{project}/regions/{rule.region}/forwardingRules/"
                f"ncc-{rule.rule_id[:8]}",
            }
        else:
            ncc_id, short = rule.network_connectivity_config_id, rule.rule_id[:8]
            rule.endpoint_name = f"databricks-{ncc_id}-pe-{short}"


def creating_ms(rule: Rule, cfg: EmulatorConfig) -> int:
    """How long this rule stays CREATING: ``creating_seconds`` plus its own share of
    ``creating_jitter_seconds`` (from its id: the same on every read, different per rule)."""
    share = int(_derived_hex(rule, "creating", 8), 16) / 0xFFFFFFFF
    return int((cfg.creating_seconds + share * cfg.creating_jitter_seconds) * 1000)


def _leave_creating(rule: Rule, cfg: EmulatorConfig) -> None:
    at = rule.creation_time + creating_ms(rule, cfg)
    if rule.will_fail:
        rule.error_message = (
            f"NOT_FOUND: The provided resource {target_of(rule)} could not be found."
        )
        _enter(rule, "CREATE_FAILED", at)
    elif rule.is_s3:
        # S3 needs no owner approval: it establishes on its own, disabled until PATCHed.
        _enter(rule, "ESTABLISHED", at)
    elif rule.cloud == "gcp" and not (rule.gcp_endpoint or {}).get("service_attachment"):
        # Google's own APIs have no producer to accept the connection (GCP-PSC, "Access Google
        # APIs through endpoints"): the endpoint exists and is connected at once.
        _enter(rule, "PENDING", at)
        _enter(rule, "ESTABLISHED", at)
    elif rule.cloud == "aws" and cfg.auto_accept_aws_endpoints:
        # An endpoint service that does not require acceptance: the endpoint (and its id)
        # exists as for PENDING, and is accepted at the same instant.
        _enter(rule, "PENDING", at)
        _enter(rule, "ESTABLISHED", at)
    else:
        _enter(rule, "PENDING", at)


def settle(rule: Rule, now_ms: int, cfg: EmulatorConfig) -> bool:
    """Apply every transition due by ``now_ms``; return True when the rule is to be purged."""
    if rule.deactivated:
        assert rule.deactivated_at is not None
        return now_ms >= rule.deactivated_at + int(cfg.purge_seconds * 1000)
    if rule.connection_state == "CREATING":
        if now_ms < rule.creation_time + creating_ms(rule, cfg):
            return False
        _leave_creating(rule, cfg)
    expires_at = rule.state_since + int(cfg.expiry_seconds * 1000)
    if rule.connection_state in EXPIRING_STATES and now_ms >= expires_at:
        _enter(rule, "EXPIRED", expires_at)
    vpce_at = rule.state_since + int(cfg.s3_vpce_delay_seconds * 1000)
    s3_waiting = rule.is_s3 and rule.connection_state == "ESTABLISHED"
    if s3_waiting and rule.vpc_endpoint_id is None and now_ms >= vpce_at:
        rule.vpc_endpoint_id = "vpce-" + _derived_hex(rule, "vpce", 17)
        rule.updated_time = max(rule.updated_time, vpce_at)
    return False


def owner_action(rule: Rule, action: str, now_ms: int) -> None:
    """Approve / reject / disconnect as the target's owner; 409 when illegal from here."""
    sources, destination = OWNER_ACTIONS[action]
    if rule.deactivated or rule.connection_state not in sources:
        state = "deactivated" if rule.deactivated else rule.connection_state
        raise ApiError(
            409, "INVALID_STATE", f"Cannot {action} rule {rule.rule_id} in state {state}."
        )
    _enter(rule, destination, now_ms)


def deletes_immediately(rule: Rule) -> bool:
    """Azure and GCP: PENDING/EXPIRED per the REST reference's generic text, CREATING/
    CREATE_FAILED by emulator choice (no endpoint to retain). AWS never: its section of the
    delete page says the endpoint "is deactivated and will be deleted after one day of
    deactivation"."""
    if rule.cloud == "aws":
        return False
    return rule.connection_state in {"PENDING", "EXPIRED", "CREATING", "CREATE_FAILED"}
