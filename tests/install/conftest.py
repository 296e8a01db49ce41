"""Install-suite fixtures: helm, chart releases in the test control plane, the built image.

The image is built once per session, right after collection (like ncc_testenv's binaries), so a
cold build (minutes: debootstrap base + dependency layer) never counts against a test's timeout;
later sessions reuse the cached base and buildah's layer cache. Tests using ``image`` get the
``image`` marker. Under ``CI=true`` a missing buildah fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import ROOT, crds  # re-exported fixture: our CRDs, applied once
from tests.install.chart import Release

__all__ = ["crds"]

BUILD_SCRIPT = ROOT / "tools" / "image" / "build.sh"
_build: dict[str, Any] = {}


def _unavailable(message: str) -> None:
    """Under CI a missing buildah/debootstrap fails the tests; only a developer's machine that
    lacks them (and did not run ``make test``, which installs them) skips, saying why."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"image unavailable under CI=true:\n{message}", pytrace=False)
    pytest.skip(reason=f"image tests need buildah and debootstrap (make system-tools): {message}")


def build_image() -> dict[str, Any]:
    """Run tools/image/build.sh once per session; remembers the image name or the failure."""
    if not _build:
        if shutil.which("buildah") is None or shutil.which("debootstrap") is None:
            _build["error"] = "buildah/debootstrap missing: apt-get install -y buildah debootstrap"
            return _build
        started = time.monotonic()
        proc = subprocess.run(  # our own script
            ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, cwd=ROOT, check=False
        )
        _build["seconds"] = time.monotonic() - started
        _build["log"] = proc.stderr
        if proc.returncode == 0:
            _build["image"] = proc.stdout.strip().splitlines()[-1]
        else:
            _build["error"] = f"tools/image/build.sh failed:\n{proc.stderr[-4000:]}"
    return _build


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "image" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.image)


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.get_closest_marker("image") for item in session.items):
        build_image()


@pytest.fixture(scope="session")
def image() -> str:
    """The operator image built by buildah from the repository's Dockerfile."""
    result = build_image()
    if "image" not in result:
        _unavailable(str(result.get("error")))
    return str(result["image"])


@pytest.fixture
def helm(tool: Callable[[str], Path]) -> Path:
    return tool("helm")


@pytest.fixture
def more_namespaces(control_plane: Cluster) -> Iterator[Callable[[], str]]:
    """``make()`` -> another fresh namespace, deleted afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"t-{uuid.uuid4().hex[:12]}"
        control_plane.kubectl("create", "namespace", name)
        made.append(name)
        return name

    yield make
    for name in made:
        control_plane.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture
def release_factory(
    crds: Cluster, helm: Path, namespace: str
) -> Iterator[Callable[[dict[str, Any]], Release]]:
    """``install(values)`` -> a release of the chart in ``namespace``; uninstalled afterwards."""
    releases: list[Release] = []

    def install(values: dict[str, Any]) -> Release:
        release = Release(helm, crds, f"r{uuid.uuid4().hex[:6]}", namespace, values)
        release.install()
        releases.append(release)
        return release

    yield install
    for release in releases:
        release.uninstall()
