"""`pip install ncc-operator` is the operator alone: its wheel holds only ``ncc_operator`` and
requires none of the developer tools' dependencies, and installed into a fresh virtualenv with
exactly what the lock resolves for it (what the image installs), it runs without them.

The emulator, the test environment and the demo are the ``ncc-devtools`` distribution
(``devtools/``), installed only with the dev group.
"""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UV = ["python3", "-m", "uv"]  # as the Makefile runs it
OPERATOR_REQUIRES = {
    "kopf",
    "httpx",
    "pydantic",
    "databricks-sdk",
    "prometheus-client",
    "click",
    "aiohttp",
    "pyyaml",
}
DEVTOOLS_ONLY = {"pyjwt", "ncc-devtools"}
"""What only the emulator and the test environment need (cryptography is no longer one: the
Databricks SDK's google-auth needs it too)."""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    hatchling = Path(sys.executable).with_name("hatchling")
    subprocess.run(  # the project's pinned build backend, offline
        [str(hatchling), "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [built] = out.glob("ncc_operator-*.whl")
    return built


def _name(requirement: str) -> str:
    """The distribution name of a requirement line (``pyyaml>=6``, ``kopf==1.45 ; ...``)."""
    found = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    assert found, requirement
    return found.group(0).lower()


def test_the_wheel_holds_the_operator_and_requires_none_of_the_devtools(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        parsed = email.parser.Parser().parsestr(archive.read(metadata).decode())
    packages = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert packages == {"ncc_operator"}, packages
    requires = {_name(r).lower() for r in parsed.get_all("Requires-Dist") or []}
    assert requires == OPERATOR_REQUIRES, requires


def test_a_fresh_virtualenv_runs_the_operator_without_the_devtools(
    wheel: Path, tmp_path: Path
) -> None:
    # Exactly what the lock resolves without the dev group: what the image installs.
    export = subprocess.run(
        [*UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--format",
         "requirements-txt", "--no-hashes"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    locked = {_name(line).lower() for line in export.splitlines() if line[:1].isalpha()}
    assert not locked & DEVTOOLS_ONLY, locked & DEVTOOLS_ONLY
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(export)
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    subprocess.run([*UV, "venv", "--quiet", str(venv)], check=True, env=env, cwd=tmp_path)
    python = venv / "bin" / "python"
    subprocess.run(  # from uv's cache where it can, else the package registry (as make install)
        [*UV, "pip", "install", "--quiet", "--python", str(python),
         "-r", str(requirements), str(wheel)],
        check=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    helped = subprocess.run(
        [str(venv / "bin" / "ncc-operator"), "--help"],
        check=True, capture_output=True, text=True, env=env, cwd=tmp_path,
    ).stdout  # fmt: skip
    commands = {line.split()[0] for line in helped.split("Commands:")[1].splitlines() if line}
    assert commands == {"run", "export"}, helped
    probe = (
        "import importlib.util as u;"
        "print([m for m in ('ncc_emulator', 'ncc_testenv', 'jwt') if u.find_spec(m)])"
    )
    found = subprocess.run(
        [str(python), "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    ).stdout.strip()
    assert found == "[]", found
    # The operator's own imports all resolve there (the handlers import everything it runs).
    subprocess.run(
        [str(python), "-c", "import ncc_operator.handlers, ncc_operator.export"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
