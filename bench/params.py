"""The parameters of one benchmark run: sizes, the emulator's latency and rate limit, the
operator's pace, and the floor those imply.

Everything that shapes a number is here, so the JSON result can carry it verbatim.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from ncc_emulator import endpoints
from ncc_operator.settings import Settings

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
"""AWS regions the NCCs are spread over (``regions`` of them, round robin)."""
REGION = REGIONS[0]
FIRST_WORKSPACE_ID = 7_000_000_000_000_001
DEFAULTS = Settings()
"""The operator's own defaults: a run without --resync-seconds/--fast-seconds uses them."""


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
    resync_override: float | None = None
    """NCC_OPERATOR_RESYNC_SECONDS (and the account's) for the run; None: the operator's
    default, left unset in its environment."""
    fast_override: float | None = None
    """NCC_OPERATOR_FAST_SECONDS for the run; None: the operator's default."""
    idle_resyncs: int = 2
    quiet_seconds: float = 4.0
    """No status change for this long (and all Ready) counts as steady state (at least the
    fast interval plus 5 s: an NCC's rule counts follow its rules within one fast interval)."""
    regions: int = 1
    """NCCs (with their workspace and rules) are spread over this many of ``REGIONS``."""
    creating_jitter_seconds: float = 0.0
    """Each rule stays CREATING up to this much longer than ``creating_seconds`` (its own share)."""
    approval_max_seconds: float | None = None
    """Realistic transitions: the owner approves each rule 0 to this many seconds after PENDING
    (``bench/transitions.py``); None: rules need no approval (auto-accepting services)."""
    namespace: str = "bench"

    @property
    def resync_seconds(self) -> float:
        return self.resync_override or DEFAULTS.resync_seconds

    @property
    def account_resync_seconds(self) -> float:
        return self.resync_override or DEFAULTS.account_resync_seconds

    @property
    def fast_seconds(self) -> float:
        return self.fast_override or DEFAULTS.fast_seconds

    @property
    def settle_seconds(self) -> float:
        return max(self.quiet_seconds, self.fast_seconds + 5.0)

    @property
    def objects(self) -> int:
        return 1 + self.nccs + self.rules

    def ncc_region(self, index: int) -> str:
        return REGIONS[index % max(1, min(self.regions, len(REGIONS)))]

    def rule_region(self, index: int) -> str:
        return self.ncc_region(index % self.nccs)

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
        waits = self.creating_seconds + self.creating_jitter_seconds
        # With approvals, the last one may come at its latest, after the longest CREATING.
        waits += self.approval_max_seconds or 0.0
        return self.rules / self.rate_limit + self.create_latency_ms / 1000.0 + waits

    def latency_faults(self) -> dict[str, float]:
        return {
            "*": self.latency_ms / 1000.0,
            endpoints.CREATE_RULE.key: self.create_latency_ms / 1000.0,
        }

    def emulator_config(self) -> dict[str, Any]:
        return {
            "creating_seconds": self.creating_seconds,
            "creating_jitter_seconds": self.creating_jitter_seconds,
            # The VPC endpoint id of an S3 rule appears when it is ESTABLISHED, not a little
            # later: a late id would be one more (legitimate) status change after Ready, muddling
            # "patches to Ready" and the idle window.
            "s3_vpce_delay_seconds": 0.0,
            # Each bench rule is its own NLB endpoint service (Databricks keys AWS rules by the
            # service, so one NCC holds one S3 rule); they accept connections without an owner
            # (AcceptanceRequired=false), so a rule is Ready once ESTABLISHED, as S3 rules were.
            # With realistic transitions the bench approves them instead, at random times.
            "auto_accept_aws_endpoints": self.approval_max_seconds is None,
            "rate_limit_rps": self.rate_limit,
            "rate_limit_burst": self.burst,
            "limits": {
                "endpoints_per_region": self.rules + 100,
                "nccs_per_region": max(10, self.nccs + 2),
            },
        }

    def workspaces(self) -> list[tuple[int, str]]:
        return [(FIRST_WORKSPACE_ID + i, self.ncc_region(i)) for i in range(self.nccs)]

    def operator_env(self) -> dict[str, str]:
        env = {
            # The emulator is plain HTTP on loopback.
            "NCC_OPERATOR_ALLOWED_HOSTS": "127.0.0.1",
            "NCC_OPERATOR_ALLOW_HTTP": "true",
        }
        if self.resync_override is not None:
            env["NCC_OPERATOR_RESYNC_SECONDS"] = str(self.resync_override)
            env["NCC_OPERATOR_ACCOUNT_RESYNC_SECONDS"] = str(self.resync_override)
        if self.fast_override is not None:
            env["NCC_OPERATOR_FAST_SECONDS"] = str(self.fast_override)
        return env

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["resync_seconds"] = self.resync_seconds
        data["fast_seconds"] = self.fast_seconds
        data["operator_defaults"] = self.resync_override is None and self.fast_override is None
        data["objects"] = self.objects
        data["floor_seconds"] = round(self.floor_seconds(), 3)
        data["operator_rps"] = self.operator_rps
        return data


def ncc_name(index: int) -> str:
    return f"bench-ncc-{index}"


def endpoint_service(index: int, region: str = REGION) -> str:
    """A distinct NLB endpoint service per rule (its id: 17 hex digits, as AWS makes them)."""
    return f"com.amazonaws.vpce.{region}.vpce-svc-{index:017x}"


def domain_name(index: int) -> str:
    return f"svc-{index:05d}.bench.internal"
