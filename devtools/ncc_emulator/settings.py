"""Tunable emulator behaviour (timings, page size, limits, policy switches) and its JSON merge.

One ``EmulatorConfig`` per emulator; ``PUT /_emulator/config`` merges a partial JSON document into
it. The defaults are the "Unconfirmed point → emulator choice" table of docs/emulator.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

DAY_SECONDS = 86400.0

# Endpoints per region differ by cloud (AWS docs: 30; Azure: 100).
DEFAULT_ENDPOINTS_PER_REGION = {"aws": 30, "azure": 100}

# Keys that once existed: refused with a reason on PUT /_emulator/config, dropped from old state
# files. Deactivated rules no longer block NCC delete until purged (#5292 / PR #5648 describe a
# short propagation race instead: ``delete_consistency_seconds``).
RETIRED_KEYS = {
    "deactivated_blocks_ncc_delete": "retired: deactivated rules block NCC delete only for "
    "delete_consistency_seconds after the last rule went (Terraform #5292 / PR #5648)",
}

# Named bundles of settings for the CLI (``--profile``); explicit options win over them.
# "realistic": CREATING typically lasts a few minutes (Terraform PF resource comments, #4559).
PROFILES: dict[str, dict[str, Any]] = {
    "fast": {},
    "realistic": {"creating_seconds": 180.0},
}


@dataclass
class Limits:
    nccs_per_region: int = 10
    workspaces_per_ncc: int = 50
    # None means "the cloud's default" (DEFAULT_ENDPOINTS_PER_REGION).
    endpoints_per_region: int | None = None


@dataclass
class EmulatorConfig:
    page_size: int = 50
    creating_seconds: float = 1.0
    # Each rule stays CREATING for creating_seconds plus up to this much more, a fraction of it
    # derived from the rule id (so it is the same on every read): "a few minutes", not all alike.
    creating_jitter_seconds: float = 0.0
    s3_vpce_delay_seconds: float = 5.0
    purge_seconds: float = DAY_SECONDS
    expiry_seconds: float = 14 * DAY_SECONDS
    token_expires_in: int = 3600
    workspace_provisioning_seconds: float = 0.0
    deactivated_counts_against_quota: bool = True
    # After the last active rule / attached workspace went, NCC delete is still refused this long
    # (a propagation race, #5292 / PR #5648). 60 s for the CLI and demo; the test fixtures use 0.
    delete_consistency_seconds: float = 60.0
    # Status and error code of the NCC delete refusal: not documented by Databricks, so
    # configurable, letting clients prove they depend on the message only.
    ncc_delete_refusal_status: int = 400
    ncc_delete_refusal_error_code: str = "INVALID_STATE"
    rate_limit_rps: float | None = None
    rate_limit_burst: int | None = None
    # AWS endpoint services created with "acceptance required" off accept every connection
    # request at once (AWS PrivateLink: AcceptanceRequired=false): such a rule goes from CREATING
    # straight to ESTABLISHED, with no owner action. Off by default (the owner approves); the
    # bench turns it on for its NLB rules.
    auto_accept_aws_endpoints: bool = False
    limits: Limits = field(default_factory=Limits)

    def endpoints_limit(self, cloud: str) -> int:
        if self.limits.endpoints_per_region is not None:
            return self.limits.endpoints_per_region
        return DEFAULT_ENDPOINTS_PER_REGION.get(cloud, 100)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def merge(self, patch: dict[str, Any]) -> None:
        """Apply a partial document; unknown keys raise ``ValueError`` so typos are loud."""
        for key, value in patch.items():
            if key == "limits":
                if not isinstance(value, dict):
                    raise ValueError("limits must be an object")
                _merge_fields(self.limits, value)
            else:
                _merge_fields(self, {key: value})
        if self.page_size < 1:
            raise ValueError("page_size must be >= 1")
        status = self.ncc_delete_refusal_status
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError("ncc_delete_refusal_status must be an HTTP error status (400-599)")
        code = self.ncc_delete_refusal_error_code
        if not isinstance(code, str) or not code:
            raise ValueError("ncc_delete_refusal_error_code must be a non-empty string")


def _merge_fields(target: Any, patch: dict[str, Any]) -> None:
    names = {f.name for f in dataclasses.fields(target)}
    for key, value in patch.items():
        if key in RETIRED_KEYS:
            raise ValueError(f"config key {key} is {RETIRED_KEYS[key]}")
        if key not in names or key == "limits":
            raise ValueError(f"unknown config key: {key}")
        setattr(target, key, value)


def config_from_json(data: dict[str, Any], *, drop_retired: bool = False) -> EmulatorConfig:
    """Build a config; ``drop_retired`` ignores retired keys (old state files carry them)."""
    cfg = EmulatorConfig()
    cfg.merge({k: v for k, v in data.items() if not (drop_retired and k in RETIRED_KEYS)})
    return cfg
