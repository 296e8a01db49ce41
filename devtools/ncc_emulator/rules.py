"""Private endpoint rule operations: create (with limits and duplicate detection), read, PATCH,
delete (immediate or soft), and the owner actions the admin API exposes.
"""

from __future__ import annotations

import uuid
from typing import Any

from . import lifecycle
from .errors import already_exists, not_found, quota_exceeded
from .models import Rule, rule_json
from .store import Store, paginate
from .validation import apply_rule_patch, parse_mask, validate_rule_create, validate_rule_mask

# States in which a rule no longer occupies its target (a new rule for it may be created).
_INACTIVE_STATES = frozenset({"CREATE_FAILED", "EXPIRED"})


def _identity(rule: Rule) -> tuple[Any, ...]:
    """The natural key of a target within one NCC: its immutable fields only.

    Azure: ``resource_id`` (Azure resource ids are case-insensitive) + ``group_id`` (None for
    Private Link service rules, whose ``domain_names`` are mutable); unmerged Terraform PR #5648
    claims a conflict on duplicate (resource_id, group_id, ncc_id). AWS: ``endpoint_service``
    alone, ``resource_names`` / ``domain_names`` being mutable (an emulator choice).
    """
    if rule.cloud == "azure":
        return ((rule.resource_id or "").lower(), rule.group_id)
    if rule.cloud == "gcp":
        # Emulator choice: the target as sent (Google resource names are case-sensitive), the
        # API host set sorted.
        endpoint = rule.gcp_endpoint or {}
        apis = (endpoint.get("google_api_endpoints") or {}).get("endpoints") or []
        return (endpoint.get("service_attachment"), tuple(sorted(apis)),
                bool(endpoint.get("all_vpc_sc_services")))  # fmt: skip
    return (rule.endpoint_service,)


class RuleService:
    """Rule endpoints over a ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def view(self, rule: Rule) -> dict[str, Any]:
        return rule_json(rule, self.store.account_id)

    def get(self, ncc_id: str, rule_id: str) -> Rule:
        self.store.ncc(ncc_id)
        self.store.settle_all()
        rule = self.store.rules.get(rule_id)
        if rule is None or rule.network_connectivity_config_id != ncc_id:
            raise not_found(f"Private endpoint rule {rule_id} does not exist.")
        return rule

    def list(self, ncc_id: str, token: str | None) -> dict[str, Any]:
        self.store.ncc(ncc_id)
        rules = self.store.rules_of(ncc_id)
        page, nxt = paginate(rules, token, self.store.config.page_size, lambda r: r.seq)
        out: dict[str, Any] = {"items": [self.view(r) for r in page]}
        if nxt:
            out["next_page_token"] = nxt
        return out

    def create(self, ncc_id: str, body: dict[str, Any]) -> Rule:
        store = self.store
        ncc = store.ncc(ncc_id)
        fields = validate_rule_create(body, store.cloud, ncc.region)
        now = store.clock.now_ms()
        rule = Rule(
            rule_id=str(uuid.uuid4()), network_connectivity_config_id=ncc_id, cloud=store.cloud,
            connection_state="CREATING", creation_time=now, updated_time=now, state_since=now,
            region=ncc.region, **fields,
        )  # fmt: skip
        self._check_duplicate(rule)
        self._check_quota(ncc.region)
        rule.seq = store.next_seq()
        if rule.is_s3:
            rule.enabled = False
        targets = {lifecycle.target_of(rule), rule.endpoint_service}
        rule.will_fail = bool(targets & store.missing_targets)
        store.rules[rule.rule_id] = rule
        lifecycle.settle(rule, now, store.config)
        return rule

    def _check_duplicate(self, new: Rule) -> None:
        for rule in self.store.rules_of(new.network_connectivity_config_id):
            if rule.deactivated or rule.connection_state in _INACTIVE_STATES:
                continue
            if _identity(rule) == _identity(new):
                raise already_exists(
                    f"Private endpoint rule {rule.rule_id} for the same target already exists in "
                    f"network connectivity configuration {new.network_connectivity_config_id}."
                )

    def _check_quota(self, region: str) -> None:
        store = self.store
        store.settle_all()
        region_nccs = {n for n, ncc in store.nccs.items() if ncc.region == region}
        used = sum(
            1 for r in store.rules.values()
            if r.network_connectivity_config_id in region_nccs
            and (not r.deactivated or store.config.deactivated_counts_against_quota)
        )  # fmt: skip
        limit = store.config.endpoints_limit(store.cloud)
        if used >= limit:
            raise quota_exceeded(
                f"Quota exceeded: at most {limit} private endpoints per region (region {region} "
                f"already has {used} across its network connectivity configurations)."
            )

    def patch(self, ncc_id: str, rule_id: str, mask: str | None, body: dict[str, Any]) -> Rule:
        rule = self.get(ncc_id, rule_id)
        fields = parse_mask(mask)
        validate_rule_mask(rule, fields)
        apply_rule_patch(rule, body, fields)
        rule.updated_time = self.store.clock.now_ms()
        return rule

    def delete(self, ncc_id: str, rule_id: str) -> Rule:
        rule = self.get(ncc_id, rule_id)
        if rule.deactivated:
            return rule
        now = self.store.clock.now_ms()
        self.store.note_rule_gone(rule, now)
        if lifecycle.deletes_immediately(rule):
            del self.store.rules[rule_id]
            return rule
        rule.deactivated, rule.deactivated_at, rule.updated_time = True, now, now
        return rule

    def owner_action(self, rule_id: str, action: str) -> Rule:
        self.store.settle_all()
        rule = self.store.rules.get(rule_id)
        if rule is None:
            raise not_found(f"Private endpoint rule {rule_id} does not exist.")
        lifecycle.owner_action(rule, action, self.store.clock.now_ms())
        return rule
