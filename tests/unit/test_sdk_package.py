"""The operator imports ``databricks-sdk``'s ``Config`` and credential providers without the
SDK package's ``__init__`` (every service module, ~53 MiB: ncc_operator/databricks/sdk_package.py),
and code that wants the whole SDK still gets it.

Each case runs in a fresh interpreter: what a process imports is the point.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, resource, sys
{before}
import ncc_operator.handlers
services = sorted(m for m in sys.modules if m.startswith("databricks.sdk.service."))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.core import Config
print(json.dumps({{"services": services, "rss": rss, "clients": [AccountClient.__name__,
                  WorkspaceClient.__name__], "config": Config.__module__}}))
"""


def probe(before: str = "") -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, object] = json.loads(out)
    return result


def test_the_operator_loads_no_sdk_service_module_it_does_not_use() -> None:
    result = probe()
    services = result["services"]
    assert isinstance(services, list)
    # The credential providers need a few (oauth2, settings ...); the __init__ loads ~60.
    assert len(services) <= 5, services
    assert "databricks.sdk.service.jobs" not in services
    assert result["clients"] == ["AccountClient", "WorkspaceClient"], "the whole SDK still works"
    assert result["config"] == "databricks.sdk.config"


@pytest.mark.parametrize(
    ("before", "why"),
    [
        ("import databricks.sdk", "the SDK imported first (e.g. by a test): left as it is"),
        ("import databricks", "only the namespace package imported first"),
    ],
)
def test_whatever_was_imported_first_everything_still_resolves(before: str, why: str) -> None:
    result = probe(before)
    assert result["clients"] == ["AccountClient", "WorkspaceClient"], why
