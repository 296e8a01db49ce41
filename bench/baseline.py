"""The SDK baselines: what a Terraform user sees, and the older polling client.

Both use the official ``databricks-sdk`` ``AccountClient`` (oauth-m2m, logged in before the clock
starts) against a fresh emulator, at most ``baseline_parallelism`` resources in flight
(Terraform's default ``-parallelism=10``). The SDK retries 429s itself, honouring Retry-After.

* :func:`run_terraform_pattern` sends what the Databricks Terraform provider (v1.128.0, measured
  against the emulator) sends: per NCC a create POST, a read GET, the workspace binding PATCH and
  one GET; per rule a create POST and one read GET. No polling: ``terraform apply`` ends while the
  rules are still CREATING, and the user waits until Databricks has them ESTABLISHED. Every
  attempt passes one client-side token bucket, as the Go SDK's per-client limit (default 15 rps,
  burst 1) does. :func:`run_terraform_baselines` runs it at 15 rps and at the operator's rate.
* :func:`run_polling_baseline` polls each rule every second until it leaves CREATING, with no
  client limit. It is slower than the real provider and kept only to compare with earlier results.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from databricks.sdk import AccountClient
from databricks.sdk.core import Config
from databricks.sdk.service.provisioning import Workspace
from databricks.sdk.service.settings import (
    CreateNetworkConnectivityConfiguration,
    CreatePrivateEndpointRule,
    NccPrivateEndpointRule,
    NccPrivateEndpointRulePrivateLinkConnectionState,
)

from ncc_emulator import endpoints

from .params import Params, domain_name, endpoint_service, ncc_name
from .procs import Emulator, start_emulator

_SDK_ENV_PREFIXES = ("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_")
GO_SDK_DEFAULT_RPS = 15.0
"""The Go SDK's client-side limit (``rate_limit`` default), which the Terraform provider uses."""
_STATE_POLL_SECONDS = 0.25
_ESTABLISHED = NccPrivateEndpointRulePrivateLinkConnectionState.ESTABLISHED.value

# What the Terraform pattern sends, per NCC and per rule (route keys as the emulator counts them).
PER_NCC_CALLS = (
    endpoints.CREATE_NCC.key,
    endpoints.GET_NCC.key,
    endpoints.PATCH_WORKSPACE.key,
    endpoints.GET_WORKSPACE.key,
)
PER_RULE_CALLS = (endpoints.CREATE_RULE.key, endpoints.GET_RULE.key)


@dataclass(frozen=True)
class BaselineResult:
    """The polling baseline: seconds until every rule left CREATING, as its polls saw it."""

    seconds: float
    states: dict[str, int]
    requests: dict[str, int]


@dataclass(frozen=True)
class TerraformResult:
    """One run of the Terraform provider's request pattern."""

    client_rps: float
    """The client-side token bucket's rate (burst 1), shared by every call."""
    apply_seconds: float
    """Start until the last call of the pattern answered (``terraform apply`` returns)."""
    established_seconds: float | None
    """Start until every rule was ESTABLISHED at the emulator (None: not within the wait)."""
    calls: dict[str, int]
    """The emulator's request counts during the apply (429-answered attempts included)."""
    throttled: int
    """Attempts the emulator answered 429 (the SDK retried them; each is also in ``calls``)."""
    expected_calls: int
    """4 per NCC + 2 per rule: what the pattern sends when nothing is throttled."""
    plan_calls: int
    """GETs one ``terraform plan`` sends: every rule and every NCC (bindings are not read)."""
    states: dict[str, int]
    """Connection states at the emulator at the end."""
    apply_states: dict[str, int] = field(default_factory=dict)
    """Connection states the read after each create saw (mostly CREATING)."""

    @property
    def calls_match(self) -> bool:
        """The emulator received exactly the pattern's calls plus the throttled retries."""
        return sum(self.calls.values()) == self.expected_calls + self.throttled


class TokenBucket:
    """A thread-safe token bucket on the monotonic clock: ``rate`` tokens/s, at most ``burst``.

    ``acquire`` reserves a token and sleeps until it is due (tokens may go negative), so waiting
    callers are served in the order they asked, as Go's ``rate.Limiter.Wait`` does.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            time.sleep(wait)


class _LimitedAdapter(requests.adapters.HTTPAdapter):
    """Every HTTP attempt of the SDK (retries included) takes a token first; 429s are counted.

    The Go SDK takes its limiter's token per attempt too, so a retried 429 costs one more token.
    """

    def __init__(self, bucket: TokenBucket, pool: int) -> None:
        super().__init__(pool_connections=pool, pool_maxsize=pool, pool_block=True)
        self.bucket = bucket
        self.throttled = 0
        self._lock = threading.Lock()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.bucket.acquire()
        response = super().send(request, *args, **kwargs)
        if response.status_code == 429:
            with self._lock:
                self.throttled += 1
        return response


def _isolate_sdk_environment(home: str) -> None:
    """The SDK reads DATABRICKS_*/ARM_* and ~/.databrickscfg: none of the user's may leak in."""
    for name in list(os.environ):
        if name.startswith(_SDK_ENV_PREFIXES):
            del os.environ[name]
    os.environ["DATABRICKS_CONFIG_FILE"] = os.path.join(home, "no-databrickscfg")


@contextmanager
def _logged_in_client(emulator: Emulator) -> Iterator[AccountClient]:
    with tempfile.TemporaryDirectory(prefix="ncc-bench-sdk-") as home:
        _isolate_sdk_environment(home)
        client = AccountClient(
            config=Config(
                host=emulator.base_url,
                account_id=emulator.account_id,
                client_id=emulator.client_id,
                client_secret=emulator.client_secret,
                auth_type="oauth-m2m",
            )
        )
        client.config.authenticate()  # log in before the clock starts, as a provider would
        yield client


def _count(states: list[str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for state in states:
        counted[state] = counted.get(state, 0) + 1
    return counted


def _state_name(state: NccPrivateEndpointRulePrivateLinkConnectionState | None) -> str:
    return state.value if state is not None else "UNKNOWN"


# -- Terraform provider pattern ---------------------------------------------------------------


def run_terraform_pattern(params: Params, emulator: Emulator, client_rps: float) -> TerraformResult:
    """Send the provider's calls through one ``client_rps`` bucket, then wait (out of band, via
    the emulator's uncounted admin state) until every rule is ESTABLISHED."""
    with _logged_in_client(emulator) as client:
        adapter = _LimitedAdapter(TokenBucket(client_rps), pool=params.baseline_parallelism)
        # The SDK has no hook for a client-side limit: mount ours on its own requests session
        # (a private attribute), for both schemes; the emulator is plain HTTP on loopback.
        session: requests.Session = client.api_client._api_client._session
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        emulator.admin.reset_counts()
        started = time.monotonic()
        apply_states = _terraform_apply(params, client)
        apply_seconds = time.monotonic() - started
        calls = emulator.admin.request_counts()
        established_at, states = _wait_established(params, emulator, started)
    return TerraformResult(
        client_rps=client_rps,
        apply_seconds=apply_seconds,
        established_seconds=established_at,
        calls=calls,
        throttled=adapter.throttled,
        expected_calls=len(PER_NCC_CALLS) * params.nccs + len(PER_RULE_CALLS) * params.rules,
        plan_calls=params.rules + params.nccs,
        states=states,
        apply_states=_count(apply_states),
    )


def _create_ncc(params: Params, client: AccountClient, index: int) -> str:
    created = client.network_connectivity.create_network_connectivity_configuration(
        CreateNetworkConnectivityConfiguration(
            name=ncc_name(index), region=params.ncc_region(index)
        )
    )
    return str(created.network_connectivity_config_id)


def _create_rule(
    params: Params, client: AccountClient, index: int, ncc_id: str
) -> NccPrivateEndpointRule:
    return client.network_connectivity.create_private_endpoint_rule(
        ncc_id,
        CreatePrivateEndpointRule(
            endpoint_service=endpoint_service(index, params.rule_region(index)),
            domain_names=[domain_name(index)],
        ),
    )


def _terraform_apply(params: Params, client: AccountClient) -> list[str]:
    api = client.network_connectivity
    workspaces = params.workspaces()

    def make_ncc(index: int) -> str:
        ncc_id = _create_ncc(params, client, index)
        api.get_network_connectivity_configuration(ncc_id)  # the provider reads after create
        workspace_id = workspaces[index][0]
        # update() sends the PATCH and returns a lazy waiter; the provider waits with one GET,
        # so call get() once instead of the waiter's polling .result().
        client.workspaces.update(
            workspace_id,
            Workspace(network_connectivity_config_id=ncc_id),
            update_mask="network_connectivity_config_id",
        )
        client.workspaces.get(workspace_id)
        return ncc_id

    def make_rule(index: int, ncc_id: str) -> str:
        rule = _create_rule(params, client, index, ncc_id)
        read = api.get_private_endpoint_rule(ncc_id, str(rule.rule_id))
        return _state_name(read.connection_state)

    with ThreadPoolExecutor(max_workers=params.baseline_parallelism) as pool:
        ncc_ids = list(pool.map(make_ncc, range(params.nccs)))
        futures = [pool.submit(make_rule, i, ncc_ids[i % params.nccs]) for i in range(params.rules)]
        return [f.result() for f in futures]


def _wait_established(
    params: Params, emulator: Emulator, started: float
) -> tuple[float | None, dict[str, int]]:
    """Seconds from ``started`` until every rule is ESTABLISHED, read from the emulator's admin
    state dump (under ``/_emulator/``, which its request counts leave out)."""
    deadline = time.monotonic() + params.creating_seconds + 120.0
    while True:
        rules: list[Mapping[str, Any]] = emulator.admin.state()["rules"]
        states = _count([str(r["connection_state"]) for r in rules])
        now = time.monotonic()
        if len(rules) >= params.rules and states.get(_ESTABLISHED, 0) == len(rules):
            return now - started, states
        if now > deadline:
            return None, states
        time.sleep(_STATE_POLL_SECONDS)


def run_terraform_baselines(params: Params, workdir: Path) -> list[TerraformResult]:
    """The provider's pattern at the Go SDK's default 15 rps and at the operator's client rate,
    each on a fresh emulator with the run's faults."""
    results: list[TerraformResult] = []
    for rps in (GO_SDK_DEFAULT_RPS, params.operator_rps):
        emulator = start_emulator(params, workdir, f"terraform-{rps:g}rps")
        try:
            results.append(run_terraform_pattern(params, emulator, rps))
        finally:
            emulator.stop()
    return results


# -- Polling client (earlier results) ---------------------------------------------------------


def run_polling_baseline(params: Params, emulator: Emulator) -> BaselineResult:
    """An SDK client that polls each rule every second, no client limit; slower than the real
    provider, kept for comparison with earlier results.

    Creates each NCC and binds its workspace (waiting with ``.result()``), then per rule one
    create POST and a GET every ``baseline_poll_seconds`` until it leaves CREATING.
    """
    with _logged_in_client(emulator) as client:
        emulator.admin.reset_counts()
        started = time.monotonic()
        states = _polling_apply(params, client)
        seconds = time.monotonic() - started
    return BaselineResult(seconds, states, emulator.admin.request_counts())


def _polling_apply(params: Params, client: AccountClient) -> dict[str, int]:
    api = client.network_connectivity
    workspaces = params.workspaces()

    def make_ncc(index: int) -> str:
        ncc_id = _create_ncc(params, client, index)
        client.workspaces.update(
            workspaces[index][0],
            Workspace(network_connectivity_config_id=ncc_id),
            update_mask="network_connectivity_config_id",
        ).result()
        return ncc_id

    def make_rule(index: int, ncc_id: str) -> str:
        rule = _create_rule(params, client, index, ncc_id)
        state = rule.connection_state
        while state == NccPrivateEndpointRulePrivateLinkConnectionState.CREATING:
            time.sleep(params.baseline_poll_seconds)
            state = api.get_private_endpoint_rule(ncc_id, str(rule.rule_id)).connection_state
        return _state_name(state)

    with ThreadPoolExecutor(max_workers=params.baseline_parallelism) as pool:
        ncc_ids = list(pool.map(make_ncc, range(params.nccs)))
        futures = [pool.submit(make_rule, i, ncc_ids[i % params.nccs]) for i in range(params.rules)]
        return _count([f.result() for f in futures])
