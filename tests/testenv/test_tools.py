"""Tool resolution: KUBEBUILDER_ASSETS wins; no Go gives a clear error.

That helm and promtool work is shown on the project's own chart and rules
(tests/install/test_chart.py, tests/operate/test_alerts.py), not on toy inputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ncc_testenv import build, pytest_plugin, tools

pytestmark = pytest.mark.tools


def test_kubebuilder_assets_are_honoured(
    assets_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An empty cache and no Go: the binaries can only come from KUBEBUILDER_ASSETS.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(build, "find_go", lambda: None)
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets_dir))
    for name in ("etcd", "kube-apiserver", "kubectl"):
        resolved = tools.resolve_detailed(name)
        assert resolved.source == "KUBEBUILDER_ASSETS"
        assert resolved.path == assets_dir / name
    assert not (tmp_path / "empty-cache").exists()  # nothing was built


def test_without_go_or_assets_the_error_names_the_three_ways_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    monkeypatch.delenv("NCC_TESTENV_USE_EXISTING_CLUSTER", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    monkeypatch.setattr(build, "find_go", lambda: None)
    for name in ("kube-apiserver", "etcd", "kubectl"):
        with pytest.raises(tools.ToolError) as info:
            tools.resolve(name)
        message = str(info.value)
        assert f"cannot provide {name}" in message
        assert "install Go >= 1.26" in message
        assert "KUBEBUILDER_ASSETS" in message
        assert "KUBECONFIG" in message
        assert "NCC_TESTENV_USE_EXISTING_CLUSTER=1" in message


def test_unavailable_control_plane_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="unavailable under CI=true"):
        pytest_plugin._unavailable("no binaries")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no binaries"):
        pytest_plugin._unavailable("no binaries")


def test_ensure_builds_only_the_tools_named_and_says_so_first(
    assets_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`make demo` asks for the control plane only: helm and promtool are not touched, and each
    tool's line comes before its (possibly long) build."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(build, "find_go", lambda: None)  # a build would fail loudly
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets_dir))
    assert tools.main(["ensure", "kube-apiserver", "etcd", "kubectl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    named = [line.split()[0] for line in lines]
    assert named == [n for n in ("kube-apiserver", "etcd", "kubectl") for _ in (1, 2)] + ["total"]
    assert all("built from the pinned Go modules now" in line for line in lines[0:6:2])
    assert "helm" not in named
    assert "promtool" not in named


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["ensure", "kubelet"], "a tool we do not provide"),
        (["path"], "path without a name"),
        (["build"], "an unknown verb"),
        ([], "nothing at all"),
    ],
)
def test_ensure_refuses_what_it_cannot_do(argv: list[str], why: str) -> None:
    assert tools.main(argv) == 2, why
