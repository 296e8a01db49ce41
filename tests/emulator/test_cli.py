"""The ``emulator`` click command: option parsing, and a real process serving the API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ncc_emulator.cli import emulator


@pytest.mark.parametrize(
    ("args", "fragment", "reason"),
    [
        (["--workspace", "abc"], "ID:REGION", "workspace without a region"),
        (["--latency", "soon"], "invalid duration", "latency spec not a duration"),
        (["--cloud", "oci"], "oci", "a cloud Databricks does not run on"),
    ],
)
def test_bad_options_exit_2(args: list[str], fragment: str, reason: str) -> None:
    result = CliRunner().invoke(emulator, args)
    assert result.exit_code == 2
    assert fragment in result.output


def test_help_lists_options() -> None:
    result = CliRunner().invoke(emulator, ["--help"])
    for option in ("--state-file", "--latency", "--rate-limit", "--page-size", "--workspace"):
        assert option in result.output


def test_process_serves_the_api(tmp_path: Path) -> None:
    env = {**os.environ, "NCC_EMULATOR_CLIENT_SECRET": "from-env"}
    args = [
        sys.executable,
        "-m",
        "ncc_emulator",
        "--port",
        "0",
        "--cloud",
        "aws",
        "--workspace",
        "77:us-east-1",
        "--state-file",
        str(tmp_path / "s.json"),
        "--latency",
        "1ms",
        "--page-size",
        "2",
    ]
    token = "never-issued"
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        line = ""
        while not line.startswith("Base URL: "):
            line = proc.stdout.readline()
            assert line, "emulator exited before printing its URL"
        base = line.removeprefix("Base URL: ").strip()
        meta = httpx.get(f"{base}/.well-known/databricks-config").json()
        token = httpx.post(
            f"{base}/oidc/accounts/{meta['account_id']}/v1/token",
            data={"grant_type": "client_credentials"},
            auth=("ncc-emulator-sp", "from-env"),
        ).json()["access_token"]
        ws = httpx.get(
            f"{base}/api/2.0/accounts/{meta['account_id']}/workspaces/77",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert (meta["cloud"], ws["aws_region"]) == ("aws", "us-east-1")
        assert (tmp_path / "s.json").exists()  # the token grant was persisted
    finally:
        proc.send_signal(signal.SIGINT)
        _, log = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "POST /oidc/accounts" in log  # the access log is on ...
    assert "from-env" not in log  # ... and never shows the secret
    assert token not in log


def _config_of_process(extra: list[str]) -> dict[str, object]:
    """Start ``python -m ncc_emulator`` with ``extra`` and read its effective config."""
    args = [sys.executable, "-m", "ncc_emulator", "--port", "0", *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = ""
        while not line.startswith("Base URL: "):
            line = proc.stdout.readline()
            assert line, "emulator exited before printing its URL"
        base = line.removeprefix("Base URL: ").strip()
        config: dict[str, object] = httpx.get(f"{base}/_emulator/config").json()
        return config
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)


@pytest.mark.parametrize(
    ("args", "expected", "reason"),
    [
        ([], {"creating_seconds": 1.0, "delete_consistency_seconds": 60.0}, "fast defaults"),
        (["--profile", "realistic"], {"creating_seconds": 180.0}, "CREATING takes minutes"),
        (
            ["--profile", "realistic", "--creating-seconds", "5"],
            {"creating_seconds": 5.0},
            "an explicit option wins over the profile",
        ),
    ],
)
def test_profiles(args: list[str], expected: dict[str, float], reason: str) -> None:
    config = _config_of_process(args)
    assert {k: config[k] for k in expected} == expected


def test_unknown_profile_exits_2() -> None:
    result = CliRunner().invoke(emulator, ["--profile", "slow"])
    assert result.exit_code == 2
    assert "slow" in result.output
