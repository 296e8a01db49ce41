"""``ncc_operator.models`` is the operator's bottom layer: pydantic and the standard library only.

import-linter checks the order of our own layers; this test also keeps third-party imports (kopf,
httpx, the Databricks client) out, so the models stay importable from anywhere, including tools
that only read CRs.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "operator" / "ncc_operator" / "models"
ALLOWED_THIRD_PARTY = frozenset({"pydantic", "pydantic_core", "typing_extensions"})


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", sorted(MODELS.glob("*.py")), ids=lambda p: p.name)
def test_models_import_only_pydantic_and_stdlib(module: Path) -> None:
    roots = _imported_roots(module.read_text())
    foreign = {r for r in roots if r not in sys.stdlib_module_names} - ALLOWED_THIRD_PARTY
    assert foreign == set(), f"{module.name} imports {sorted(foreign)}"


def test_the_scan_sees_absolute_imports() -> None:
    # Guard the guard: relative imports are ours (allowed), absolute ones are reported.
    assert _imported_roots("import kopf\nfrom .common import X\nfrom httpx import A") == {
        "kopf",
        "httpx",
    }
