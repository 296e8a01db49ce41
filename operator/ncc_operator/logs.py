"""The operator's log as people on call read it: levels that mean something, text or JSON lines.

Owns what ``ncc-operator run`` does to logging after Kopf configured its stream handler: the
format (``text``, Kopf's own lines prefixed with the object, or ``json``, one object per line for
log pipelines, standard library only), and four corrections of what libraries log:

- httpx logs every request at INFO with its full URL, and httpcore every connection step at
  DEBUG: below WARNING they are silenced (``--verbose`` lets httpx's request lines through);
- Kopf logs every ``TemporaryError`` of a handler at ERROR ("failed temporarily"). The driver
  raises one only for a deletion that waits (a blocked delete, a dependency still there), which
  the engine already reports once per transition in the Synced condition and an event: each
  retry of that wait is DEBUG, not an error;
- Kopf's API client logs a request it will retry at ERROR; the retry is a WARNING (the request
  that finally fails is still logged at ERROR, "escalating");
- a failed liveness answer: our probe raises to make ``/healthz`` answer 500 (Kopf's design),
  and aiohttp logs each such request with Kopf's ``ActivityError`` traceback at ERROR — one per
  kubelet probe for as long as the Kubernetes API is down. Kopf has already logged the probe's
  reason ("Activity 'kubernetes-api' failed permanently: …"): it becomes one WARNING line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

TEXT = "text"
JSON = "json"
FORMATS = (TEXT, JSON)

QUIET_LOGGERS = ("httpx", "httpcore")
"""Per-request and per-connection loggers: WARNING and above only."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line: timestamp, level, logger, message, and the object if known."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Kopf's per-object loggers carry the object's reference as ``k8s_ref``.
        ref = getattr(record, "k8s_ref", None)
        if isinstance(ref, dict):
            line["object"] = {
                key: ref[key] for key in ("kind", "namespace", "name") if ref.get(key) is not None
            }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


DECIDED = "ncc_relevelled"
"""Record attribute: the keep-or-drop decision of the filter that re-levelled it."""


class Relevel(logging.Filter):
    """Re-level records of loggers under ``prefix`` whose message contains ``marker``; drop them
    if the new level is below what the root logger emits (``--verbose`` shows them again).

    A handler filter, not a logger one: Kopf's API client logs through whichever logger its
    caller passes (the watcher's, an object's), so only the handler sees them all.
    """

    def __init__(self, prefix: str, marker: str, level: int) -> None:
        super().__init__()
        self.prefix = prefix
        self.marker = marker
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        # Every handler runs the filter on the same record: decide once, for all of them.
        decided = getattr(record, DECIDED, None)
        if decided is not None:
            return bool(decided)
        if (
            record.levelno > self.level
            and record.name.startswith(self.prefix)
            and self.marker in record.getMessage()
        ):
            record.levelno = self.level
            record.levelname = logging.getLevelName(self.level)
            keep = logging.getLogger().isEnabledFor(self.level)
            setattr(record, DECIDED, keep)
            return keep
        return True


class ProbeFailure(logging.Filter):
    """aiohttp's "Error handling request" for Kopf's ActivityError (a failed ``/healthz``): one
    WARNING line without the traceback. Any other exception keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        kind = type(error)
        if (
            record.name == "aiohttp.server"
            and kind.__name__ == "ActivityError"
            and kind.__module__.startswith("kopf.")
        ):
            record.msg, record.args = "liveness answered 500: %s", (error,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


PROBE_FAILURES = ProbeFailure()
DESIGNED_WAITS = Relevel("kopf.objects", "failed temporarily:", logging.DEBUG)
RETRIED_REQUESTS = Relevel("kopf.", "; will retry:", logging.WARNING)


def configure(log_format: str = TEXT, *, verbose: bool = False) -> None:
    """Apply the format and the level corrections; call after ``kopf.configure``."""
    if log_format == JSON:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    for name in QUIET_LOGGERS:
        quiet = logging.WARNING if not verbose or name == "httpcore" else logging.INFO
        logging.getLogger(name).setLevel(quiet)
    for handler in logging.getLogger().handlers:
        for correction in (DESIGNED_WAITS, RETRIED_REQUESTS, PROBE_FAILURES):
            if correction not in handler.filters:
                handler.addFilter(correction)
