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
    s3_vpce_delay_seconds: float = 5.0
    purge_seconds: float = DAY_SECONDS
    expiry_seconds: float = 14 * DAY_SECONDS
    token_expires_in: int = 3600
    workspace_provisioning_seconds: float = 0.0
    deactivated_blocks_ncc_delete: bool = True
    deactivated_counts_against_quota: bool = True
    # After the last rule/workspace is gone, NCC delete is still refused this long (0 = never).
    delete_consistency_seconds: float = 0.0
    rate_limit_rps: float | None = None
    rate_limit_burst: int | None = None
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


def _merge_fields(target: Any, patch: dict[str, Any]) -> None:
    names = {f.name for f in dataclasses.fields(target)}
    for key, value in patch.items():
        if key not in names or key == "limits":
            raise ValueError(f"unknown config key: {key}")
        setattr(target, key, value)


def config_from_json(data: dict[str, Any]) -> EmulatorConfig:
    cfg = EmulatorConfig()
    cfg.merge(data)
    return cfg
