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
        (["--cloud", "gcp"], "gcp", "clouds without NCC rules support here"),
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
