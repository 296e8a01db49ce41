"""AWS S3 rules: ``enabled`` waits for ESTABLISHED instead of failing, then is one PATCH.

Databricks refuses ``enabled`` in an update mask until the S3 endpoint is ESTABLISHED (400
INVALID_STATE). The operator must report that it waits (Synced message), never send the PATCH
early or with an empty mask, and send exactly one PATCH (mask ``enabled``) once it may.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import GROUP, VERSION, Env, running
from tests.cluster.rules_support import (
    CREATE_RULE,
    PATCH_RULE,
    RULE_KIND,
    active_rules,
    count,
    events_of,
    ready,
    ready_ncc,
    wait_until,
)

RESYNC = 6.0
CREATING_SECONDS = 6.0
S3 = "com.amazonaws.us-east-1.s3"


@pytest.fixture
def aws_env(
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> Iterator[Env]:
    """Like ``env``, on an AWS emulator whose rules stay CREATING for a few seconds."""
    emulator = emulator_factory(
        cloud="aws", workspaces=[(1111, "us-east-1")], creating_seconds=CREATING_SECONDS
    )
    with running(crds, namespace, emulator, tmp_path / "operator.log") as env:
        yield env


def _synced(obj: dict[str, object]) -> dict[str, str]:
    status = obj.get("status")
    conditions = status.get("conditions", []) if isinstance(status, dict) else []
    return next((dict(c) for c in conditions if c.get("type") == "Synced"), {})


def test_s3_enabled_waits_for_established_then_is_patched_once(aws_env: Env) -> None:
    """``enabled: true`` on a new S3 rule: while CREATING, Synced says it waits for ESTABLISHED
    and no PATCH is sent; once ESTABLISHED, one PATCH (mask ``enabled``) and nothing after."""
    env = aws_env
    ready_ncc(env, region="us-east-1")
    env.apply(
        f"""
apiVersion: {GROUP}/{VERSION}
kind: PrivateEndpointRule
metadata: {{name: bucket}}
spec:
  nccRef: {{name: prod}}
  aws: {{endpointService: {S3}, resourceNames: [ncc-test-bucket], enabled: true}}
"""
    )
    waiting = env.wait_for(
        RULE_KIND,
        "bucket",
        lambda o: "ESTABLISHED" in _synced(o).get("message", ""),
        timeout=CREATING_SECONDS,
        what="Synced saying enabled waits for ESTABLISHED",
    )
    synced = _synced(waiting)
    assert synced["status"] == "True", synced
    assert "spec.aws.enabled will be applied once the rule is ESTABLISHED" in synced["message"]
    assert ready(waiting)["reason"] == "Creating"
    assert count(env, PATCH_RULE) == 0, "enabled must not be PATCHed before ESTABLISHED"

    rule_id = env.rule_id("bucket")
    wait_until(
        lambda: any(r["rule_id"] == rule_id and r.get("enabled") for r in active_rules(env)),
        "enabled=true at Databricks",
        timeout=CREATING_SECONDS + 15,
    )
    env.wait_reason(RULE_KIND, "bucket", "Established")
    updated = events_of(env, "bucket", "Updated")
    assert [e["message"] for e in updated] == [f"Updated enabled of rule {rule_id}."]
    env.wait_for(
        RULE_KIND,
        "bucket",
        lambda o: "ESTABLISHED" not in _synced(o).get("message", "x ESTABLISHED"),
        what="Synced no longer waiting",
    )

    time.sleep(RESYNC + 1)  # in sync now: no PATCH (with an empty mask or otherwise)
    assert count(env, PATCH_RULE) == 1
    assert count(env, CREATE_RULE) == 1
    # The S3 endpoint id appears later at Databricks; the status follows on a resync.
    rule = env.wait_for(
        RULE_KIND,
        "bucket",
        lambda o: o.get("status", {}).get("atProvider", {}).get("vpcEndpointId", "") != "",
        what="atProvider.vpcEndpointId",
    )
    assert rule["status"]["atProvider"]["vpcEndpointId"].startswith("vpce-")
    assert rule["status"]["atProvider"]["connectionState"] == "ESTABLISHED"
