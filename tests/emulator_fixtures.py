"""Pytest plugin: Databricks emulators on loopback, each in its own background thread.

- ``emulator``: Azure, fresh per test, rules leave CREATING at once (``creating_seconds=0``) and
  NCC delete has no consistency window (``delete_consistency_seconds=0``; the CLI default is 60).
- ``aws_emulator``: the same for AWS.
- ``emulator_factory``: ``(cloud="azure", workspaces=[(id, region)], page_size=None, **config)``
  for anything else; every emulator it starts is stopped at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest

from ncc_emulator.testing import RunningEmulator, start_emulator


class EmulatorFactory(Protocol):
    def __call__(
        self,
        cloud: str = "azure",
        workspaces: list[tuple[int, str]] | None = None,
        page_size: int | None = None,
        **config: Any,
    ) -> RunningEmulator: ...


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    stops: list[Callable[[], None]] = []

    def factory(
        cloud: str = "azure",
        workspaces: list[tuple[int, str]] | None = None,
        page_size: int | None = None,
        **config: Any,
    ) -> RunningEmulator:
        settings: dict[str, Any] = {
            "creating_seconds": 0,
            "delete_consistency_seconds": 0,
            **config,
        }
        if page_size is not None:
            settings["page_size"] = page_size
        running, stop = start_emulator(cloud, workspaces=workspaces or [], config=settings)
        stops.append(stop)
        return running

    yield factory
    for stop in reversed(stops):
        stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> RunningEmulator:
    return emulator_factory("azure")


@pytest.fixture
def aws_emulator(emulator_factory: EmulatorFactory) -> RunningEmulator:
    return emulator_factory("aws")
