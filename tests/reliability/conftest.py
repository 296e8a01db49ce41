"""Fixtures of the reliability suites (crash, faults, control plane, load, tokens, fuzz).

Like the cluster tests' ``env`` — a fresh namespace, emulator and operator process per test — with
two differences every suite needs: the account's client secret is a planted canary (so the suite
can grep for it at the end), and the operator serves ``/metrics`` (so faults can be seen there,
and the metrics can be grepped too). Each suite's figure line is printed in the terminal summary.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ncc_emulator.testing import RunningEmulator, start_emulator
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import Env, Operator, crds, free_port
from tests.reliability.support import Figures

__all__ = ["crds"]  # the session fixture, shared with tests/cluster

FIGURES = Figures()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES.lines:
        terminalreporter.section("reliability figures")
        for line in FIGURES.lines:
            terminalreporter.write_line(line)


@pytest.fixture
def figures() -> Figures:
    return FIGURES


@dataclass
class Suite:
    """A reliability suite's world: the harness ``Env`` plus what the audits need."""

    env: Env
    canary: str
    """The account's client secret: must never show anywhere the operator writes."""
    metrics_url: str

    def metrics(self) -> str:
        return httpx.get(self.metrics_url, timeout=10).text

    def wait_metrics(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.metrics()
                return
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


SuiteFactory = Callable[..., Suite]


@pytest.fixture
def suite_factory(crds: Cluster, namespace: str, tmp_path: Path) -> Iterator[SuiteFactory]:
    """``(cloud, workspaces, settings=None, **emulator_config) -> Suite``; one per test."""
    stops: list[Callable[[], None]] = []
    operators: list[Operator] = []

    def make(
        cloud: str,
        workspaces: list[tuple[int, str]],
        settings: dict[str, str] | None = None,
        **config: Any,
    ) -> Suite:
        canary = f"canary-{secrets.token_urlsafe(18)}"
        emulator: RunningEmulator
        emulator, stop = start_emulator(
            cloud,
            client_secret=canary,
            workspaces=workspaces,
            config={
                "creating_seconds": 0,
                "delete_consistency_seconds": 0,
                # A deleted AWS rule counts against the region's quota until it is purged a day
                # later (as at Databricks): a churn of creates and deletes would reach the 30
                # per region and be refused RESOURCE_EXHAUSTED, correctly — not what a suite
                # measures. (The soak's random kills did: 26 kills of create/delete churn.)
                "limits": {"endpoints_per_region": 1000},
                **config,
            },
        )
        stops.append(stop)
        port = free_port()
        environment = {"NCC_OPERATOR_METRICS_PORT": str(port), **(settings or {})}
        operator = Operator(crds, namespace, tmp_path / "operator.log", env=environment)
        operator.start()
        operators.append(operator)
        made = Suite(
            Env(crds, namespace, emulator, operator), canary, f"http://127.0.0.1:{port}/metrics"
        )
        made.wait_metrics()
        return made

    yield make
    for operator in operators:
        operator.stop()
    for stop in reversed(stops):
        stop()


@pytest.fixture
def azure(suite_factory: SuiteFactory) -> Suite:
    return suite_factory("azure", [(1111, "eastus2"), (2222, "eastus2")])


@pytest.fixture
def aws(suite_factory: SuiteFactory) -> Suite:
    return suite_factory("aws", [(1111, "us-east-1")])
