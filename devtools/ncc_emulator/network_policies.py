"""Account network policies (serverless egress control) and each workspace's binding to one.

What Databricks documents (docs/serverless-egress.md §1, §2; sources in docs/emulator.md):

- A policy is addressed by its caller-chosen ``network_policy_id`` (``^[a-zA-Z0-9_.-]{1,32}$``).
  Update is a PUT of the whole object, no mask and no version: the stored object is replaced.
- Every account has ``default-policy``: it exists from the start, can be updated, and cannot be
  deleted; every workspace without an explicit binding uses it.
- A binding (``/workspaces/{id}/network``) is never created or deleted, only PUT; GET answers
  ``default-policy`` for a workspace nobody bound.
- The server fills in ``ingress.private_access`` (``RESTRICTION_MODE_UNSPECIFIED``) on a policy
  that was sent without it (terraform-provider-databricks#5884), so a client that rebuilds a
  PUT from its own model meets ingress it never set.

Where the sources are silent the choices are marked *unconfirmed* in docs/emulator.md: the codes
of a duplicate create, of deleting ``default-policy`` and of deleting a policy still bound.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import already_exists, invalid_parameter, invalid_state, not_found
from .store import Store, paginate

DEFAULT_POLICY_ID = "default-policy"
POLICY_ID_RE = re.compile(r"^[a-zA-Z0-9_.-]{1,32}$")
RESTRICTION_MODES = frozenset({"FULL_ACCESS", "RESTRICTED_ACCESS"})
ENFORCEMENT_MODES = frozenset({"ENFORCED", "DRY_RUN"})
DRY_RUN_PRODUCTS = frozenset({"DBSQL", "ML_SERVING"})
INTERNET_DESTINATION_TYPES = frozenset({"DNS_NAME"})
STORAGE_DESTINATION_TYPES = frozenset({"AWS_S3", "AZURE_STORAGE", "GOOGLE_CLOUD_STORAGE"})
MAX_DESTINATIONS = 2000
"""DOC-NP: at most 2000 destinations in all (the policy's own, plus UC locations that the
emulator does not model)."""
_LISTS = (
    "allowed_internet_destinations",
    "blocked_internet_destinations",
    "allowed_storage_destinations",
    "allowed_databricks_destinations",
)


@dataclass
class NetworkPolicy:
    network_policy_id: str
    body: dict[str, Any]
    """The object as stored (``egress``, ``ingress``, ``ingress_dry_run``; no id, no account)."""
    seq: int


@dataclass
class NetworkPolicies:
    """The account's policies and bindings; workspaces are the :class:`Store`'s."""

    store: Store
    policies: dict[str, NetworkPolicy] = field(default_factory=dict)
    bindings: dict[int, str] = field(default_factory=dict)
    """Workspace id → policy id, only for workspaces someone bound (others: default-policy)."""

    def __post_init__(self) -> None:
        if DEFAULT_POLICY_ID not in self.policies:
            # Unconfirmed: what a new account's default-policy holds. Full access is what an
            # account that never used egress control has (DOC-SEC: restriction is opt-in).
            default = {"egress": {"network_access": {"restriction_mode": "FULL_ACCESS"}}}
            self.policies[DEFAULT_POLICY_ID] = NetworkPolicy(
                DEFAULT_POLICY_ID, _with_server_ingress(default), seq=0
            )

    def view(self, policy: NetworkPolicy) -> dict[str, Any]:
        return {
            "network_policy_id": policy.network_policy_id,
            "account_id": self.store.account_id,
            **copy.deepcopy(policy.body),
        }

    def get(self, policy_id: str) -> NetworkPolicy:
        policy = self.policies.get(policy_id)
        if policy is None:
            raise not_found(f"Network policy {policy_id!r} does not exist.")
        return policy

    def list(self, token: str | None) -> dict[str, Any]:
        page, nxt = paginate(
            list(self.policies.values()), token, self.store.config.page_size, lambda p: p.seq
        )
        out: dict[str, Any] = {"items": [self.view(p) for p in page]}
        if nxt:
            out["next_page_token"] = nxt
        return out

    def create(self, body: dict[str, Any]) -> NetworkPolicy:
        policy_id = _policy_id(body.get("network_policy_id"))
        if policy_id in self.policies:
            raise already_exists(f"Network policy {policy_id!r} already exists.")
        policy = NetworkPolicy(policy_id, _stored(body), seq=self.store.next_seq())
        self.policies[policy_id] = policy
        return policy

    def update(self, policy_id: str, body: dict[str, Any]) -> NetworkPolicy:
        policy = self.get(policy_id)
        sent = body.get("network_policy_id")
        if sent is not None and sent != policy_id:
            # Unconfirmed whether PUT can rename; the emulator refuses, as an id is the address.
            raise invalid_parameter(
                f"network_policy_id {sent!r} in the body does not match {policy_id!r} in the path."
            )
        policy.body = _stored(body)
        return policy

    def delete(self, policy_id: str) -> None:
        if policy_id == DEFAULT_POLICY_ID:
            raise invalid_parameter(f"{DEFAULT_POLICY_ID!r} cannot be deleted.")
        self.get(policy_id)
        bound = sorted(w for w, p in self.bindings.items() if p == policy_id)
        if bound:
            raise invalid_state(
                f"Network policy {policy_id!r} is used by workspaces {bound}: bind them to "
                "another policy first."
            )
        del self.policies[policy_id]

    def binding(self, workspace_id: int) -> dict[str, Any]:
        self.store.workspace(workspace_id)  # 404 for a workspace the account does not have
        policy_id = self.bindings.get(workspace_id, DEFAULT_POLICY_ID)
        return {"workspace_id": workspace_id, "network_policy_id": policy_id}

    def bind(self, workspace_id: int, body: dict[str, Any]) -> dict[str, Any]:
        self.store.workspace(workspace_id)
        sent = body.get("workspace_id")
        if sent is not None and sent != workspace_id:
            raise invalid_parameter(
                f"workspace_id {sent!r} in the body does not match {workspace_id} in the path."
            )
        policy_id = body.get("network_policy_id")
        if not isinstance(policy_id, str) or not policy_id:
            raise invalid_parameter("network_policy_id is required.")
        self.get(policy_id)
        if policy_id == DEFAULT_POLICY_ID:
            self.bindings.pop(workspace_id, None)
        else:
            self.bindings[workspace_id] = policy_id
        return self.binding(workspace_id)


def _policy_id(raw: Any) -> str:
    if not isinstance(raw, str) or not POLICY_ID_RE.match(raw):
        raise invalid_parameter(
            f"Invalid network_policy_id {raw!r}: must match ^[a-zA-Z0-9_.-]{{1,32}}$."
        )
    return raw


def _stored(body: dict[str, Any]) -> dict[str, Any]:
    """The parts of a sent policy the server keeps, validated; ingress filled in as the API does."""
    kept: dict[str, Any] = {
        k: copy.deepcopy(body[k]) for k in ("egress", "ingress", "ingress_dry_run") if k in body
    }
    _check_egress(kept.get("egress"))
    return _with_server_ingress(kept)


def _with_server_ingress(body: dict[str, Any]) -> dict[str, Any]:
    ingress = body.setdefault("ingress", {})
    if not isinstance(ingress, dict):
        raise invalid_parameter("ingress must be an object.")
    ingress.setdefault("private_access", {"restriction_mode": "RESTRICTION_MODE_UNSPECIFIED"})
    return body


def _check_egress(egress: Any) -> None:
    if egress is None:
        return
    access = _object(egress, "egress").get("network_access")
    if access is None:
        return
    access = _object(access, "egress.network_access")
    _enum(access.get("restriction_mode"), RESTRICTION_MODES, "restriction_mode", required=True)
    total = 0
    for name in _LISTS:
        entries = access.get(name) or []
        if not isinstance(entries, list):
            raise invalid_parameter(f"{name} must be a list.")
        total += len(entries)
        for raw in entries:
            entry = _object(raw, name)
            if "internet" in name:
                _enum(entry.get("internet_destination_type"), INTERNET_DESTINATION_TYPES, name)
            elif "storage" in name:
                _enum(entry.get("storage_destination_type"), STORAGE_DESTINATION_TYPES, name)
    if total > MAX_DESTINATIONS:
        raise invalid_parameter(
            f"A network policy can have at most {MAX_DESTINATIONS} destinations; got {total}."
        )
    enforcement = access.get("policy_enforcement")
    if enforcement is not None:
        enforcement = _object(enforcement, "policy_enforcement")
        _enum(enforcement.get("enforcement_mode"), ENFORCEMENT_MODES, "enforcement_mode")
        for product in enforcement.get("dry_run_mode_product_filter") or []:
            _enum(product, DRY_RUN_PRODUCTS, "dry_run_mode_product_filter")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter(f"{what} must be an object.")
    return value


def _enum(value: Any, allowed: frozenset[str], what: str, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if value not in allowed:
        raise invalid_parameter(f"Invalid {what} {value!r}: expected one of {sorted(allowed)}.")


def snapshot(policies: NetworkPolicies) -> dict[str, Any]:
    return {
        "policies": [
            {"network_policy_id": p.network_policy_id, "body": p.body, "seq": p.seq}
            for p in policies.policies.values()
        ],
        "bindings": {str(w): p for w, p in policies.bindings.items()},
    }


def restore(policies: NetworkPolicies, data: dict[str, Any] | None) -> None:
    """Load a :func:`snapshot`; a state file from before policies existed keeps the defaults."""
    if not data:
        return
    policies.policies = {p["network_policy_id"]: NetworkPolicy(**p) for p in data["policies"]}
    policies.bindings = {int(w): p for w, p in data["bindings"].items()}
    policies.__post_init__()
