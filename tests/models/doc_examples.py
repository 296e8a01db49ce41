"""The YAML examples of docs/api.md, so tests can prove they are valid objects."""

from __future__ import annotations

import re
from typing import Any

import yaml

from .schema_diff import ROOT

API_DOC = ROOT / "docs" / "api.md"


def doc_examples() -> list[dict[str, Any]]:
    """Every object in the ```yaml blocks of docs/api.md."""
    blocks = re.findall(r"```yaml\n(.*?)```", API_DOC.read_text(), flags=re.DOTALL)
    return [obj for block in blocks for obj in yaml.safe_load_all(block) if obj]
