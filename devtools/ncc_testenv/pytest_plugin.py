"""pytest fixtures for a real Kubernetes API: `control_plane` (session), `namespace`, `kubectl`.

Loaded through ``pytest_plugins`` in tests/conftest.py. Tests using these fixtures get the
``cluster`` marker. Binaries are built (or reused) once after collection, outside any test's
timeout. With ``NCC_TESTENV_USE_EXISTING_CLUSTER=1`` the cluster of ``KUBECONFIG`` is used instead.
When the binaries cannot be had, the fixture skips — except under ``CI=true``, where it errors with
the message naming the ways out, so cluster tests never vanish silently from CI. The ``tool``
fixture does the same for helm/promtool and marks its tests ``tools``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from ncc_testenv import controlplane, tools
from ncc_testenv.cluster import Cluster, existing_cluster

_CLUSTER_FIXTURES = frozenset({"control_plane", "namespace", "kubectl"})
_CONTROL_PLANE_TOOLS = ("etcd", "kube-apiserver", "kubectl")


def _unavailable(message: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"control plane unavailable under CI=true:\n{message}", pytrace=False)
    pytest.skip(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if _CLUSTER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.cluster)
        if "tool" in fixtures:
            item.add_marker(pytest.mark.tools)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Build missing binaries now, so a cold build never counts against a test's timeout."""
    wanted: list[str] = []
    if any(item.get_closest_marker("cluster") for item in session.items):
        wanted += ["kubectl"] if tools.use_existing_cluster() else list(_CONTROL_PLANE_TOOLS)
    if any(item.get_closest_marker("tools") for item in session.items):
        wanted += ["helm", "promtool"]
    for name in dict.fromkeys(wanted):
        # A failure here is reported by the fixture (error under CI, skip elsewhere).
        with contextlib.suppress(tools.ToolError):
            tools.resolve(name)


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A running API server: our etcd + kube-apiserver, or the existing cluster if asked for."""
    try:
        if tools.use_existing_cluster():
            yield existing_cluster(tools.resolve("kubectl"))
            return
        plane = controlplane.start(tmp_path_factory.mktemp("controlplane"))
    except (tools.ToolError, FileNotFoundError) as error:
        _unavailable(str(error))
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def namespace(control_plane: Cluster) -> Iterator[str]:
    """A fresh namespace per test; deleted afterwards without waiting for its finalization."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    control_plane.kubectl("create", "namespace", name)
    yield name
    control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def kubectl(control_plane: Cluster) -> Callable[..., object]:
    """``kubectl(*args, input=None, check=True)`` against the test cluster."""
    return control_plane.kubectl


@pytest.fixture
def tool() -> Callable[[str], Path]:
    """``tool("helm")`` -> path of a pinned tool (helm, promtool, kubectl, ...), built if needed."""

    def resolve(name: str) -> Path:
        try:
            return tools.resolve(name)
        except tools.ToolError as error:
            _unavailable(str(error))

    return resolve
