"""The operator's own log over a small story, as an operator on call reads it.

One line per action or state transition at INFO, not one per HTTP request (httpx logs every
request at INFO with its full URL unless silenced), and a deletion that waits as designed (an NCC
whose rule is still there) is no ERROR. ``--log-format json`` emits one JSON object per line.
"""

from __future__ import annotations

import json

from tests.cluster.conftest import Env
from tests.cluster.rules_support import NCC_KIND, RULE_KIND, ready_ncc


def _blocked_deletion_story(env: Env) -> None:
    """An NCC deleted while its rule exists waits (DeleteBlocked), then goes with the rule."""
    ready_ncc(env)
    env.azure_rule("blob")
    env.wait_for(RULE_KIND, "blob", lambda o: bool(o.get("status", {}).get("id")), what="rule id")
    env.kubectl("delete", NCC_KIND, "prod", "--wait=false")
    env.wait_reason(NCC_KIND, "prod", "DeleteBlocked", type_="Synced")
    env.idle(3)  # at least one more look at the blocked deletion (fast pace: 1 s)
    env.kubectl("delete", RULE_KIND, "blob", "--wait=false")
    env.wait_gone(RULE_KIND, "blob")
    env.wait_gone(NCC_KIND, "prod", timeout=30)


def test_log_has_no_request_lines_and_no_error_for_a_designed_wait(env: Env) -> None:
    _blocked_deletion_story(env)
    lines = env.operator.logs().splitlines()
    requests = [line for line in lines if "HTTP Request:" in line]
    errors = [line for line in lines if "[ERROR" in line or "Traceback" in line]
    assert (requests[:2], errors[:2]) == ([], []), errors[:2]
    # The designed wait is still said, once per transition, at WARNING: not lost, not an error.
    assert any("DeleteBlocked:" in line for line in lines), lines[-20:]


def test_json_log_format_is_one_object_per_line(env: Env) -> None:
    env.operator.stop()
    env.operator.log.write_text("")
    env.operator.env["NCC_OPERATOR_LOG_FORMAT"] = "json"  # the same as run --log-format json
    env.operator.start()
    _blocked_deletion_story(env)
    records = [json.loads(line) for line in env.operator.logs().splitlines() if line.strip()]
    assert records, "the operator logged nothing"
    for record in records:
        assert {"timestamp", "level", "logger", "message"} <= set(record), record
        assert record["level"] != "ERROR", record
    assert not [r for r in records if r["logger"].startswith(("httpx", "httpcore"))]
