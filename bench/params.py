"""The parameters of one benchmark run: sizes, the emulator's latency and rate limit, the
operator's pace, and the floor those imply.

Everything that shapes a number is here, so the JSON result can carry it verbatim.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ncc_emulator import endpoints

REGION = "us-east-1"
FIRST_WORKSPACE_ID = 7_000_000_000_000_001


@dataclass(frozen=True)
class Params:
    rules: int = 200
    nccs: int = 4
    latency_ms: float = 50.0
    """Added to every Account API request."""
    create_latency_ms: float = 300.0
    """Added to a rule create POST instead of ``latency_ms``."""
    rate_limit: float = 20.0
    """Server-side token bucket (requests/s per account); 429 + Retry-After beyond it."""
    creating_seconds: float = 2.0
    """How long a new rule stays CREATING at the emulator."""
    client_rps: float | None = None
    """The DatabricksAccount's spec.rateLimit.requestsPerSecond (None: = rate_limit)."""
    baseline_parallelism: int = 10
    baseline_poll_seconds: float = 1.0
    resync_seconds: float = 10.0
    fast_seconds: float = 1.0
    idle_resyncs: int = 3
    quiet_seconds: float = 4.0
    """No status change for this long (and all Ready) counts as steady state."""
    namespace: str = "bench"

    @property
    def operator_rps(self) -> float:
        return self.client_rps if self.client_rps is not None else self.rate_limit

    @property
    def burst(self) -> int:
        return max(1, math.ceil(self.rate_limit))

    def floor_seconds(self) -> float:
        """The least time any client needs: N creates through the rate limit, then the slowest
        create's latency and CREATING period. It ignores the NCCs' own calls and every read, so a
        real client can only be slower."""
        return (
            self.rules / self.rate_limit + self.create_latency_ms / 1000.0 + self.creating_seconds
        )

    def latency_faults(self) -> dict[str, float]:
        return {
            "*": self.latency_ms / 1000.0,
            endpoints.CREATE_RULE.key: self.create_latency_ms / 1000.0,
        }

    def emulator_config(self) -> dict[str, Any]:
        return {
            "creating_seconds": self.creating_seconds,
            # The VPC endpoint id of an S3 rule appears when it is ESTABLISHED, not a little
            # later: a late id would be one more (legitimate) status change after Ready, muddling
            # "patches to Ready" and the idle window.
            "s3_vpce_delay_seconds": 0.0,
            # Each bench rule is its own NLB endpoint service (Databricks keys AWS rules by the
            # service, so one NCC holds one S3 rule); they accept connections without an owner
            # (AcceptanceRequired=false), so a rule is Ready once ESTABLISHED, as S3 rules were.
            "auto_accept_aws_endpoints": True,
            "rate_limit_rps": self.rate_limit,
            "rate_limit_burst": self.burst,
            "limits": {
                "endpoints_per_region": self.rules + 100,
                "nccs_per_region": max(10, self.nccs + 2),
            },
        }

    def workspaces(self) -> list[tuple[int, str]]:
        return [(FIRST_WORKSPACE_ID + i, REGION) for i in range(self.nccs)]

    def operator_env(self) -> dict[str, str]:
        return {
            "NCC_OPERATOR_RESYNC_SECONDS": str(self.resync_seconds),
            "NCC_OPERATOR_FAST_SECONDS": str(self.fast_seconds),
            "NCC_OPERATOR_ACCOUNT_RESYNC_SECONDS": str(self.resync_seconds),
            # The emulator is plain HTTP on loopback.
            "NCC_OPERATOR_ALLOWED_HOSTS": "127.0.0.1",
            "NCC_OPERATOR_ALLOW_HTTP": "true",
        }

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["floor_seconds"] = round(self.floor_seconds(), 3)
        data["operator_rps"] = self.operator_rps
        return data


def ncc_name(index: int) -> str:
    return f"bench-ncc-{index}"


def endpoint_service(index: int) -> str:
    """A distinct NLB endpoint service per rule (its id: 17 hex digits, as AWS makes them)."""
    return f"com.amazonaws.vpce.{REGION}.vpce-svc-{index:017x}"


def domain_name(index: int) -> str:
    return f"svc-{index:05d}.bench.internal"
