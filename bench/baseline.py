"""The Terraform-style baseline: the official ``databricks-sdk`` AccountClient, parallelism 10.

What ``terraform apply`` does with the provider's resources: create each NCC and bind its
workspace, then for every rule one create POST followed by GET polls until it leaves CREATING,
at most ``baseline_parallelism`` resources in flight (Terraform's default ``-parallelism=10``).
The SDK itself retries 429s honouring Retry-After, as the provider does.
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from databricks.sdk import AccountClient
from databricks.sdk.core import Config
from databricks.sdk.service.provisioning import Workspace
from databricks.sdk.service.settings import (
    CreateNetworkConnectivityConfiguration,
    CreatePrivateEndpointRule,
    NccPrivateEndpointRulePrivateLinkConnectionState,
)

from .params import REGION, Params, domain_name, endpoint_service, ncc_name
from .procs import Emulator

_SDK_ENV_PREFIXES = ("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_")


@dataclass(frozen=True)
class BaselineResult:
    seconds: float
    states: dict[str, int]
    requests: dict[str, int]


def _isolate_sdk_environment(home: str) -> None:
    """The SDK reads DATABRICKS_*/ARM_* and ~/.databrickscfg: none of the user's may leak in."""
    for name in list(os.environ):
        if name.startswith(_SDK_ENV_PREFIXES):
            del os.environ[name]
    os.environ["DATABRICKS_CONFIG_FILE"] = os.path.join(home, "no-databrickscfg")


def run_baseline(params: Params, emulator: Emulator) -> BaselineResult:
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
        emulator.admin.reset_counts()
        started = time.monotonic()
        states = _apply(params, client)
        seconds = time.monotonic() - started
    return BaselineResult(seconds, states, emulator.admin.request_counts())


def _apply(params: Params, client: AccountClient) -> dict[str, int]:
    api = client.network_connectivity
    workspaces = params.workspaces()

    def make_ncc(index: int) -> str:
        created = api.create_network_connectivity_configuration(
            CreateNetworkConnectivityConfiguration(name=ncc_name(index), region=REGION)
        )
        ncc_id = str(created.network_connectivity_config_id)
        client.workspaces.update(
            workspaces[index][0],
            Workspace(network_connectivity_config_id=ncc_id),
            update_mask="network_connectivity_config_id",
        ).result()
        return ncc_id

    def make_rule(index: int, ncc_id: str) -> str:
        rule = api.create_private_endpoint_rule(
            ncc_id,
            CreatePrivateEndpointRule(
                endpoint_service=endpoint_service(index), domain_names=[domain_name(index)]
            ),
        )
        state = rule.connection_state
        while state == NccPrivateEndpointRulePrivateLinkConnectionState.CREATING:
            time.sleep(params.baseline_poll_seconds)
            state = api.get_private_endpoint_rule(ncc_id, str(rule.rule_id)).connection_state
        return state.value if state is not None else "UNKNOWN"

    with ThreadPoolExecutor(max_workers=params.baseline_parallelism) as pool:
        ncc_ids = list(pool.map(make_ncc, range(params.nccs)))
        futures = [pool.submit(make_rule, i, ncc_ids[i % params.nccs]) for i in range(params.rules)]
        results = [f.result() for f in futures]
    states: dict[str, int] = {}
    for state in results:
        states[state] = states.get(state, 0) + 1
    return states
