"""What ``ncc-operator run`` makes of logging (ncc_operator.logs): JSON lines and levels.

Records go through real loggers configured the way ``run`` configures them (Kopf's
``configure`` first, then ours), into a captured stream: what a log pipeline would receive.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import kopf
import pytest
from kopf._core.engines.activities import ActivityError  # what Kopf's /healthz raises

from ncc_operator import logs

REF = {"apiVersion": "x/v1", "kind": "NetworkConnectivityConfig", "name": "prod", "namespace": "t"}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Root handlers, levels and filters restored afterwards: other tests log too."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved = {n: logging.getLogger(n).level for n in logs.QUIET_LOGGERS}
    stream = io.StringIO()
    yield stream
    root.handlers[:], root.level = saved_handlers, saved_level
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def _configure(stream: io.StringIO, log_format: str, *, verbose: bool = False) -> None:
    kopf.configure(verbose=verbose, log_prefix=True)
    for handler in logging.getLogger().handlers:
        # Kopf's handler only: pytest's capture handlers are stream handlers too.
        if isinstance(handler, logging.StreamHandler) and "Kopf" in type(handler).__name__:
            handler.setStream(stream)
    logs.configure(log_format, verbose=verbose)


def _story() -> None:
    """A request line, a designed wait, a retried API call, a failure, a plain info."""
    logging.getLogger("httpx").info('HTTP Request: GET http://h/api/2.0/x "HTTP/1.1 200 OK"')
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("kopf.objects").error(
        "Handler 'networkconnectivityconfigs-delete' failed temporarily: Waiting for 1 rule",
        extra={"k8s_ref": REF},
    )
    logging.getLogger("kopf._cogs.clients.watching").error(
        "Request attempt #1/9 failed; will retry: GET https://k/apis -> 429"
    )
    logging.getLogger("kopf._cogs.clients.api").error(
        "Request attempt #9/9 failed; escalating: GET https://k/apis -> 500"
    )
    logging.getLogger("ncc_operator.resources.adapters").info(
        "Created: NCC 1 created.", extra={"k8s_ref": REF}
    )


def _json(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_is_one_object_per_line_with_the_object(captured: io.StringIO) -> None:
    _configure(captured, logs.JSON)
    _story()
    records = _json(captured)
    assert [(r["logger"], r["level"]) for r in records] == [
        ("kopf._cogs.clients.watching", "WARNING"),
        ("kopf._cogs.clients.api", "ERROR"),
        ("ncc_operator.resources.adapters", "INFO"),
    ]
    for record in records:
        assert set(record) >= {"timestamp", "level", "logger", "message"}
        assert record["timestamp"].endswith("+00:00"), record["timestamp"]
    assert records[2]["object"] == {
        "kind": "NetworkConnectivityConfig",
        "namespace": "t",
        "name": "prod",
    }
    assert records[2]["message"] == "Created: NCC 1 created."
    assert "object" not in records[0]


def test_json_carries_exceptions_on_the_same_line(captured: io.StringIO) -> None:
    _configure(captured, logs.JSON)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("ncc_operator").exception("failed")
    (record,) = _json(captured)
    assert record["level"] == "ERROR"
    assert "ValueError: boom" in record["exception"]


# (format, verbose, expected substrings present, absent, why)
LEVELS: list[tuple[str, bool, list[str], list[str], str]] = [
    (
        logs.TEXT,
        False,
        ["[WARNING ] Request attempt #1/9", "[ERROR   ] Request attempt #9/9", "[t/prod] Created"],
        ["HTTP Request", "failed temporarily", "send_request_headers"],
        "default: no request lines, a designed wait is not logged, a retried call is a warning",
    ),
    (
        logs.TEXT,
        True,
        ["HTTP Request", "[DEBUG   ] [t/prod] Handler 'networkconnectivityconfigs-delete'"],
        ["send_request_headers", "[ERROR   ] [t/prod]"],
        "--verbose: request lines and the wait at DEBUG come back; httpcore stays quiet",
    ),
]


@pytest.mark.parametrize("case", LEVELS, ids=[case[-1] for case in LEVELS])
def test_levels(captured: io.StringIO, case: tuple[str, bool, list[str], list[str], str]) -> None:
    log_format, verbose, present, absent, why = case
    _configure(captured, log_format, verbose=verbose)
    _story()
    text = captured.getvalue()
    for needle in present:
        assert needle in text, (why, needle, text)
    for needle in absent:
        assert needle not in text, (why, needle, text)


def test_configure_twice_adds_each_filter_once(captured: io.StringIO) -> None:
    _configure(captured, logs.TEXT)
    logs.configure(logs.TEXT)
    for handler in logging.getLogger().handlers:
        assert handler.filters.count(logs.DESIGNED_WAITS) == 1


def test_a_failed_liveness_answer_is_one_warning_without_a_traceback(
    captured: io.StringIO,
) -> None:
    """While the Kubernetes API is down, every ``/healthz`` answers 500 because our probe raises
    (Kopf's design); aiohttp logs each such request with Kopf's ActivityError traceback at ERROR
    — a traceback per kubelet probe through the whole outage. The probe's reason is already
    logged by Kopf ("Activity 'kubernetes-api' failed permanently: …"): one WARNING line stays."""
    _configure(captured, logs.TEXT)
    try:
        raise ActivityError("One or more handlers failed.", outcomes={})
    except Exception:
        logging.getLogger("aiohttp.server").exception("Error handling request from 127.0.0.1")
    try:
        raise ValueError("a real bug in a handler of ours")
    except ValueError:
        logging.getLogger("aiohttp.server").exception("Error handling request from 127.0.0.1")
    text = captured.getvalue()
    assert text.count("Traceback") == 1, "only the other exception keeps its traceback"
    assert "ValueError: a real bug" in text
    (probe_line,) = [line for line in text.splitlines() if "liveness answered" in line]
    assert "[WARNING ]" in probe_line
    assert "One or more handlers failed" in probe_line
