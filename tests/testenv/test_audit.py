"""The audit log counts each request to the apiserver once, by client, verb, resource and time."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.kubeapi import AuditLog, count, parse_timestamp
from ncc_testenv import controlplane, pytest_plugin, tools

AGENT_A, AGENT_B = "ncc-audit-test-a/1.0", "ncc-audit-test-b/1.0"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[controlplane.ControlPlane]:
    """A control plane of its own with auditing on: no other test's requests in its log."""
    try:
        plane = controlplane.start(tmp_path_factory.mktemp("audited"), audit=True)
    except tools.ToolError as error:
        pytest_plugin._unavailable(str(error))
    try:
        yield plane
    finally:
        plane.stop()


def _log_path(plane: controlplane.ControlPlane) -> Path:
    assert plane.audit_log is not None
    return plane.audit_log


def _client(plane: controlplane.ControlPlane, agent: str) -> httpx.Client:
    return httpx.Client(
        base_url=plane.server, verify=plane.ssl_context(), headers={"User-Agent": agent}
    )


def _events(path: Path, agent: str) -> list[dict[str, object]]:
    lines = path.read_text().splitlines()
    return [e for e in map(json.loads, lines) if e.get("userAgent") == agent]


@pytest.mark.cluster
def test_counts_each_client_request_once_in_its_window(
    audited: controlplane.ControlPlane,
) -> None:
    assert _log_path(audited) == audited.workdir / "audit.log"
    log = AuditLog(_log_path(audited))
    with _client(audited, AGENT_A) as a, _client(audited, AGENT_B) as b:
        a.get("/api/v1/namespaces").raise_for_status()  # before the window: not counted
        time.sleep(0.05)
        since = time.monotonic()
        wall_since = time.time()
        for _ in range(3):
            a.get("/api/v1/namespaces").raise_for_status()
        a.get("/api/v1/namespaces/default/status").raise_for_status()
        a.get("/api/v1/namespaces/default/configmaps/missing")  # a 404 is a request too
        for _ in range(2):  # each stream is logged twice (opened, closed), counted once
            with a.stream(
                "GET", "/api/v1/namespaces", params={"watch": "true", "timeoutSeconds": "1"}
            ) as stream:
                for _line in stream.iter_lines():
                    pass
        made = {"metadata": {"name": "audit-cm"}, "data": {"k": "v"}}
        b.post("/api/v1/namespaces/default/configmaps", json=made).raise_for_status()
        b.patch(
            "/api/v1/namespaces/default/configmaps/audit-cm",
            content=b'{"data": {"k": "w"}}',
            headers={"Content-Type": "application/merge-patch+json"},
        ).raise_for_status()
        until = time.monotonic()
        wall_until = time.time()
        time.sleep(0.05)
        a.get("/api/v1/namespaces").raise_for_status()  # after the window: not counted
    log.mark(audited.server, audited.ssl_context())

    expected_a = Counter(
        {
            ("list", "namespaces"): 3,
            ("get", "namespaces/status"): 1,
            ("get", "configmaps"): 1,
            ("watch", "namespaces"): 2,
        }
    )
    expected_b = Counter({("create", "configmaps"): 1, ("patch", "configmaps"): 1})
    assert log.requests(since, until, AGENT_A) == expected_a
    assert log.requests(since, until, "ncc-audit-test-b/") == expected_b
    assert log.requests(since, until, (AGENT_A, AGENT_B)) == expected_a + expected_b
    assert log.requests(wall_since, wall_until, AGENT_A, wall=True) == expected_a
    # The whole log: the requests outside the window are there, and each watch logged twice.
    assert log.requests(0, time.monotonic() + 1, AGENT_A)[("list", "namespaces")] == 5
    watch_events = [e for e in _events(_log_path(audited), AGENT_A) if e["verb"] == "watch"]
    assert (
        sorted(str(e["stage"]) for e in watch_events)
        == ["ResponseComplete"] * 2 + ["ResponseStarted"] * 2
    )
    codes = {r.code for r in log.select(since, until, AGENT_A) if r.resource == "configmaps"}
    assert codes == {404}
    agents = log.agents(since, until)
    assert agents[AGENT_A] == 7
    assert agents[AGENT_B] == 2


@pytest.mark.cluster
def test_kubectl_requests_are_counted_by_its_agent(audited: controlplane.ControlPlane) -> None:
    log = AuditLog(_log_path(audited))
    since = time.monotonic()
    for _ in range(4):
        audited.kubectl("get", "namespaces")
    until = time.monotonic()
    log.mark(audited.server, audited.ssl_context())
    counted = log.requests(since, until, "kubectl/")
    assert counted[("list", "namespaces")] == 4
    # Besides the lists only discovery (GET of non-resource paths such as /api) if any.
    others = {key for key in counted if key != ("list", "namespaces")}
    assert all(verb == "get" and resource.startswith("/api") for verb, resource in others)


@pytest.mark.cluster
def test_an_open_watch_counts_once_while_open_and_after(
    audited: controlplane.ControlPlane,
) -> None:
    agent = "ncc-audit-test-watch/1.0"
    log = AuditLog(_log_path(audited))
    since = time.monotonic()
    params = {"watch": "true", "timeoutSeconds": "30"}
    with (
        _client(audited, agent) as client,
        client.stream("GET", "/api/v1/namespaces", params=params) as stream,
    ):
        stream.raise_for_status()
        log.mark(audited.server, audited.ssl_context())
        assert log.requests(since, time.monotonic(), agent) == {("watch", "namespaces"): 1}
    deadline = time.monotonic() + 10
    while not any(e["stage"] == "ResponseComplete" for e in _events(_log_path(audited), agent)):
        assert time.monotonic() < deadline, "the closed watch never logged ResponseComplete"
        time.sleep(0.1)
    assert log.requests(since, time.monotonic(), agent) == {("watch", "namespaces"): 1}


def _event(audit_id: str, stage: str, verb: str = "watch", at: str = "12:00:00.5") -> bytes:
    event = {
        "auditID": audit_id,
        "stage": stage,
        "verb": verb,
        "requestURI": "/apis/x.io/v1/namespaces/n/things?watch=true",
        "userAgent": "kopf/1.45.2",
        "user": {"username": "admin"},
        "objectRef": {"resource": "things", "subresource": "status", "namespace": "n"},
        "responseStatus": {"code": 200},
        "requestReceivedTimestamp": f"2026-12-02T{at}Z",
    }
    return json.dumps(event).encode() + b"\n"


def test_reads_only_complete_lines_and_counts_an_id_once(tmp_path: Path) -> None:
    path = tmp_path / "audit.log"
    log = AuditLog(path)
    assert log.refresh() == 0  # no file yet
    first = _event("w1", "ResponseStarted")
    path.write_bytes(first + _event("p1", "ResponseComplete", "patch")[:40])  # a partial line
    assert log.refresh() == 1
    with path.open("ab") as out:
        out.write(_event("p1", "ResponseComplete", "patch")[40:])
        out.write(_event("w1", "ResponseComplete"))  # the stream closing: not a new request
        out.write(_event("d1", "ResponseComplete", "delete", at="12:00:02"))
    assert log.refresh() == 2
    start = parse_timestamp("2026-12-02T12:00:00Z")
    assert start == 1796212800.0
    assert log.requests(start, start + 1, "kopf/", wall=True) == {
        ("watch", "things/status"): 1,
        ("patch", "things/status"): 1,
    }
    assert (
        count(log.select(start, start + 3, ("x/", "kopf/"), wall=True))[("delete", "things/status")]
        == 1
    )
    assert log.requests(start, start + 3, "python-httpx/", wall=True) == Counter()
