"""Tool resolution: helm and promtool run; KUBEBUILDER_ASSETS wins; no Go gives a clear error."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from ncc_testenv import build, pytest_plugin, tools

pytestmark = pytest.mark.tools

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: tiny\nversion: 0.1.0\n",
    "values.yaml": "greeting: hello\n",
    "templates/configmap.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-tiny\n"
        "data:\n  greeting: {{ .Values.greeting | quote }}\n"
    ),
}
GOOD_RULES = """
groups:
  - name: ncc
    rules:
      - alert: NccReconcileErrors
        expr: sum(rate(ncc_reconcile_errors_total[5m])) > 0
        for: 10m
        labels: {severity: warning}
"""
BAD_RULES = GOOD_RULES.replace("[5m])) > 0", "[5m]) > 0")  # unbalanced parenthesis


def test_helm_template_renders_a_chart(tmp_path: Path, tool: Callable[[str], Path]) -> None:
    chart = tmp_path / "tiny"
    for name, text in CHART.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        (chart / name).write_text(text)
    env = {
        f"HELM_{kind}_HOME": str(tmp_path / kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")
    }
    helm = str(tool("helm"))
    lint = subprocess.run(
        [helm, "lint", str(chart)], check=False, capture_output=True, text=True, env=env
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    out = subprocess.run(
        [helm, "template", "demo", str(chart), "--set", "greeting=hi"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout  # fmt: skip
    rendered = yaml.safe_load(out)
    assert rendered["metadata"]["name"] == "demo-tiny"
    assert rendered["data"] == {"greeting": "hi"}


def test_promtool_checks_rules(tmp_path: Path, tool: Callable[[str], Path]) -> None:
    promtool = str(tool("promtool"))
    (tmp_path / "good.yaml").write_text(GOOD_RULES)
    (tmp_path / "bad.yaml").write_text(BAD_RULES)
    good = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "good.yaml")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "SUCCESS: 1 rules found" in good.stdout
    bad = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "bad.yaml")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert "FAILED" in bad.stdout + bad.stderr


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
