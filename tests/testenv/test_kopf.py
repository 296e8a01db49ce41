"""A minimal Kopf operator (KopfRunner) handles create and delete against the real API server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import kopf
import pytest
from kopf.testing import KopfRunner

from ncc_testenv.cluster import Cluster

from .conftest import GROUP, widget

OPERATOR = f"""
import os
import pathlib

import kopf


@kopf.on.login()
def login(**kwargs):
    # A fresh registry has no built-in login handlers: the kubeconfig (embedded CA, client cert).
    return kopf.login_with_kubeconfig(**kwargs)


@kopf.on.startup()
def configure(settings, **_):
    settings.watching.server_timeout = 30
    settings.persistence.finalizer = "testenv.ncc-operator.io/kopf"


@kopf.on.create("{GROUP}", "v1", "widgets")
def created(spec, patch, **_):
    patch.status["handled"] = f"size={{spec['size']}}"


@kopf.on.delete("{GROUP}", "v1", "widgets")
def deleted(name, **_):
    pathlib.Path(os.environ["NCC_TESTENV_MARKERS"], f"deleted-{{name}}").touch()
"""


@pytest.fixture
def own_registry() -> Iterator[None]:
    """Kopf loads the operator file into its process-wide default registry: give this test a
    fresh one, so handlers other tests imported (ours) neither run here nor leak out."""
    previous = kopf.get_default_registry()
    kopf.set_default_registry(kopf.OperatorRegistry())
    try:
        yield
    finally:
        kopf.set_default_registry(previous)


def _eventually(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.usefixtures("own_registry")
def test_kopf_runner_handles_create_and_delete(
    control_plane: Cluster,
    namespace: str,
    widgets_crd: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Kopf's built-in kubeconfig login reads KUBECONFIG (embedded CA and client certificate).
    monkeypatch.setenv("KUBECONFIG", str(control_plane.kubeconfig))
    monkeypatch.setenv("NCC_TESTENV_MARKERS", str(tmp_path))
    operator = tmp_path / "operator.py"
    operator.write_text(OPERATOR)

    def status_handled() -> str:
        return control_plane.kubectl(
            "get", f"widgets.{GROUP}", "gizmo", "-n", namespace,
            "-o", "jsonpath={.status.handled}",
        ).stdout  # fmt: skip

    args = ["run", "--standalone", "--namespace", namespace, str(operator)]
    with KopfRunner(args, timeout=60) as runner:
        control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=widget("gizmo", 3))
        assert _eventually(lambda: status_handled() == "size=3"), runner.output
        control_plane.kubectl(
            "delete", f"widgets.{GROUP}", "gizmo", "-n", namespace, "--timeout=30s"
        )
        assert _eventually((tmp_path / "deleted-gizmo").exists), runner.output

    failure: BaseException | None = runner.exception  # kopf types it without None
    assert failure is None, runner.output
    assert runner.exit_code == 0, runner.output
    assert "Handler 'created' succeeded" in runner.output
    assert "Handler 'deleted' succeeded" in runner.output
