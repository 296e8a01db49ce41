"""The source root ``operator/`` must never shadow the standard-library ``operator`` module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_source_root_has_no_init() -> None:
    # An __init__.py would turn operator/ into a regular package that wins over the stdlib module.
    assert not (ROOT / "operator" / "__init__.py").exists()


def test_stdlib_operator_still_imports_from_repo_root() -> None:
    # Run from the repository root, where `operator/` is importable as a namespace candidate:
    # the stdlib module must still win, and our packages must still import.
    code = (
        "import operator, ncc_operator, ncc_emulator, ncc_testenv;"
        "assert operator.itemgetter(1)([0, 7]) == 7, operator;"
        "print(operator.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    origin = Path(out.stdout.strip())
    assert origin.name == "operator.py", origin
    assert ROOT / "operator" not in origin.parents, origin
