"""The account's state: NCCs, workspaces, and the operations on them (rules live in rules.py).

All mutation happens on the emulator's single event loop, so no locking is needed. Every read of
a rule first settles it on the clock (``lifecycle.settle``) and drops it once purged.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from . import lifecycle
from .clock import Clock
from .errors import ApiError, invalid_parameter, not_found, quota_exceeded
from .models import Ncc, Rule, Workspace, ncc_json, workspace_json
from .settings import EmulatorConfig
from .validation import (
    NCC_FIELD,
    NCC_MASKABLE,
    parse_mask,
    validate_ncc_create,
    validate_ncc_name,
    workspace_changes,
)

T = TypeVar("T")


_CURSOR = "after:"


def paginate(
    items: list[T], token: str | None, page_size: int, seq: Callable[[T], int]
) -> tuple[list[T], str | None]:
    """One page in creation order after the cursor in ``token`` (the ``seq`` of the last item
    returned). A cursor, not an offset: deleting an already-listed item never skips a live one.
    """
    after: int | None = None
    if token:
        try:
            text = base64.urlsafe_b64decode(token.encode()).decode()
            if not text.startswith(_CURSOR):
                raise ValueError(text)
            after = int(text.removeprefix(_CURSOR))
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise invalid_parameter(f"Invalid page_token {token!r}.") from exc
    rest = sorted((i for i in items if after is None or seq(i) > after), key=seq)
    page = rest[:page_size]
    more = len(rest) > page_size
    nxt = base64.urlsafe_b64encode(f"{_CURSOR}{seq(page[-1])}".encode()).decode() if more else None
    return page, nxt


class Store:
    """One Databricks account as the emulator knows it."""

    def __init__(self, account_id: str, cloud: str, clock: Clock, config: EmulatorConfig) -> None:
        self.account_id = account_id
        self.cloud = cloud
        self.clock = clock
        self.config = config
        self.nccs: dict[str, Ncc] = {}
        self.rules: dict[str, Rule] = {}
        self.workspaces: dict[int, Workspace] = {}
        # Targets registered by the admin API as nonexistent: creates against them fail.
        self.missing_targets: set[str] = set()
        self.last_seq = 0

    def next_seq(self) -> int:
        """The next creation-order number (NCCs and rules share one sequence)."""
        self.last_seq += 1
        return self.last_seq

    def resume_sequence(self) -> None:
        """After loading a state file: number objects that predate ``seq``, continue after."""
        objects: list[Ncc | Rule] = [*self.nccs.values(), *self.rules.values()]
        for obj in objects:
            if obj.seq == 0:
                obj.seq = self.next_seq()
        self.last_seq = max([self.last_seq, *(o.seq for o in objects)])

    # -- rules seen through the clock ---------------------------------------------------------

    def settle_all(self) -> None:
        now = self.clock.now_ms()
        purged = [r for r, rule in self.rules.items() if lifecycle.settle(rule, now, self.config)]
        for rule_id in purged:
            del self.rules[rule_id]

    def note_rule_gone(self, rule: Rule, at_ms: int) -> None:
        """A rule was deleted or deactivated: starts the NCC delete consistency window."""
        ncc = self.nccs.get(rule.network_connectivity_config_id)
        if ncc is not None:
            ncc.rules_gone_at = max(ncc.rules_gone_at or 0, at_ms)

    def rules_of(self, ncc_id: str) -> list[Rule]:
        self.settle_all()
        return [r for r in self.rules.values() if r.network_connectivity_config_id == ncc_id]

    # -- NCCs --------------------------------------------------------------------------------

    def ncc(self, ncc_id: str) -> Ncc:
        found = self.nccs.get(ncc_id)
        if found is None:
            raise not_found(f"Network connectivity configuration {ncc_id} does not exist.")
        return found

    def ncc_view(self, ncc: Ncc) -> dict[str, Any]:
        rules = self.rules_of(ncc.network_connectivity_config_id)
        return ncc_json(ncc, self.account_id, self.cloud, rules)

    def create_ncc(self, body: dict[str, Any]) -> Ncc:
        name, region = validate_ncc_create(body)
        in_region = sum(1 for n in self.nccs.values() if n.region == region)
        if in_region >= self.config.limits.nccs_per_region:
            raise quota_exceeded(
                f"Quota exceeded: at most {self.config.limits.nccs_per_region} network "
                f"connectivity configurations per region (region {region} already has "
                f"{in_region})."
            )
        now = self.clock.now_ms()
        ncc = Ncc(str(uuid.uuid4()), name, region, now, now, seq=self.next_seq())
        self.nccs[ncc.network_connectivity_config_id] = ncc
        return ncc

    def list_nccs(self, token: str | None) -> dict[str, Any]:
        nccs = list(self.nccs.values())
        page, nxt = paginate(nccs, token, self.config.page_size, lambda n: n.seq)
        out: dict[str, Any] = {"items": [self.ncc_view(n) for n in page]}
        if nxt:
            out["next_page_token"] = nxt
        return out

    def patch_ncc(self, ncc_id: str, mask: str | None, body: dict[str, Any]) -> Ncc:
        ncc = self.ncc(ncc_id)
        fields = parse_mask(mask)
        unsupported = sorted(set(fields) - NCC_MASKABLE)
        if unsupported:
            raise invalid_parameter(
                f"Unsupported update mask fields {unsupported}; only {sorted(NCC_MASKABLE)} "
                "can be updated."
            )
        name = validate_ncc_name(body.get("name")) if "name" in fields else ncc.name
        billing = ncc.billing_workspace_id
        if "billing_workspace_id" in fields:
            billing = body.get("billing_workspace_id")
            ws = self.workspaces.get(billing) if isinstance(billing, int) else None
            if ws is None or ws.network_connectivity_config_id != ncc_id:
                raise invalid_parameter(
                    f"Billing workspace {billing} must be attached to network connectivity "
                    f"configuration {ncc_id}."
                )
        ncc.name, ncc.billing_workspace_id = name, billing
        ncc.updated_time = self.clock.now_ms()
        return ncc

    def _recently_gone(self, gone_at: int | None) -> bool:
        window = int(self.config.delete_consistency_seconds * 1000)
        return gone_at is not None and self.clock.now_ms() < gone_at + window

    def _refusal(self, ncc_id: str, reason: str) -> ApiError:
        """Wording from Databricks staff's Terraform fixtures (PR #5648); status and code are
        undocumented, hence configurable."""
        cfg = self.config
        message = f"Network Connectivity Config {ncc_id} is unable to be deleted because {reason}"
        return ApiError(cfg.ncc_delete_refusal_status, cfg.ncc_delete_refusal_error_code, message)

    def delete_ncc(self, ncc_id: str) -> None:
        """Refused while a rule is active or a workspace attached, and for the consistency
        window after the last one went; deactivated rules alone do not block (#5292)."""
        ncc = self.ncc(ncc_id)
        active = [r for r in self.rules_of(ncc_id) if not r.deactivated]
        if active or self._recently_gone(ncc.rules_gone_at):
            raise self._refusal(ncc_id, "it has one or more private endpoint rules.")
        attached = [
            w for w, ws in self.workspaces.items() if ws.network_connectivity_config_id == ncc_id
        ]
        if not attached and self._recently_gone(ncc.workspaces_gone_at):
            attached = ncc.departed_workspace_ids
        if attached:
            ids = ", ".join(str(w) for w in sorted(attached))
            raise self._refusal(ncc_id, f"it is attached to one or more workspaces: {ids}")
        for rule in self.rules_of(ncc_id):
            del self.rules[rule.rule_id]
        del self.nccs[ncc_id]

    # -- workspaces --------------------------------------------------------------------------

    def add_workspace(self, workspace_id: int, region: str, status: str = "RUNNING") -> Workspace:
        ws = Workspace(workspace_id, region, self.cloud, status, self.clock.now_ms())
        existing = self.workspaces.get(workspace_id)
        if existing is not None:
            ws.network_connectivity_config_id = existing.network_connectivity_config_id
        self.workspaces[workspace_id] = ws
        return ws

    def workspace(self, workspace_id: int) -> Workspace:
        ws = self.workspaces.get(workspace_id)
        if ws is None:
            raise not_found(f"Workspace {workspace_id} does not exist.")
        if ws.provisioning_until is not None and self.clock.now_ms() >= ws.provisioning_until:
            ws.workspace_status, ws.provisioning_until = "RUNNING", None
        return ws

    def workspace_view(self, ws: Workspace) -> dict[str, Any]:
        return workspace_json(ws, self.account_id)

    def list_workspaces(self) -> list[dict[str, Any]]:
        return [self.workspace_view(self.workspace(w)) for w in self.workspaces]

    def patch_workspace(
        self, workspace_id: int, mask: str | None, body: dict[str, Any]
    ) -> Workspace:
        """Masked fields only (``*`` = all updatable fields); validated before any change."""
        ws = self.workspace(workspace_id)
        changes, full = workspace_changes(mask, body)
        target = self._ncc_target(ws, changes, full)
        for name, value in changes.items():
            if name != NCC_FIELD and value is None:
                ws.fields.pop(name, None)
            elif name != NCC_FIELD:
                ws.fields[name] = value
        if target is not None:
            self._attach(ws, target)
        if self.config.workspace_provisioning_seconds > 0:
            ws.workspace_status = "PROVISIONING"
            delay = int(self.config.workspace_provisioning_seconds * 1000)
            ws.provisioning_until = self.clock.now_ms() + delay
        return ws

    def _ncc_target(self, ws: Workspace, changes: dict[str, Any], full: bool) -> Ncc | None:
        """The NCC a PATCH attaches (None: unchanged); refuses clearing (one-way attachment)."""
        if NCC_FIELD not in changes:
            return None
        ncc_id = changes[NCC_FIELD]
        if not ncc_id:
            if full and ws.network_connectivity_config_id is None:
                return None  # a full replacement of an unattached workspace clears nothing
            raise invalid_parameter(
                "A network connectivity configuration cannot be removed from a workspace; "
                "it can only be replaced by another one."
            )
        ncc = self.ncc(str(ncc_id))
        self._check_attachable(ws, ncc)
        return ncc

    def _attach(self, ws: Workspace, ncc: Ncc) -> None:
        previous = self.nccs.get(ws.network_connectivity_config_id or "")
        if previous is not None and previous is not ncc:
            if not self._recently_gone(previous.workspaces_gone_at):
                previous.departed_workspace_ids = []
            previous.workspaces_gone_at = self.clock.now_ms()
            previous.departed_workspace_ids.append(ws.workspace_id)
        ws.network_connectivity_config_id = ncc.network_connectivity_config_id

    def _check_attachable(self, ws: Workspace, ncc: Ncc) -> None:
        if ws.region != ncc.region:
            raise invalid_parameter(
                f"Network connectivity configuration {ncc.network_connectivity_config_id} is in "
                f"region {ncc.region} but workspace {ws.workspace_id} is in region {ws.region}."
            )
        ncc_id = ncc.network_connectivity_config_id
        attached = [
            w for w in self.workspaces.values() if w.network_connectivity_config_id == ncc_id
        ]
        limit = self.config.limits.workspaces_per_ncc
        if ws.network_connectivity_config_id != ncc_id and len(attached) >= limit:
            raise quota_exceeded(
                f"Quota exceeded: at most {limit} workspaces per network connectivity "
                f"configuration ({ncc_id} is attached to {len(attached)})."
            )
