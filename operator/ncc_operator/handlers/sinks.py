"""The engine's sink in Kopf terms: each event through Kopf's poster (and one log line), each
pass and status into the metrics. One sink per object and pass (``Driver(sinks=EventSink)``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import kopf

from ncc_operator import metrics
from ncc_operator.reconcile import EventReason

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventSink:
    """Events through Kopf's poster; metrics through prometheus-client."""

    kind: str
    body: Mapping[str, Any]

    def event(self, *, warning: bool, reason: EventReason, message: str) -> None:
        # The driver passes on the body Kopf gave the handler, unchanged.
        body = cast(kopf.Body, self.body)
        kind = "Warning" if warning else "Normal"
        kopf.event(body, type=kind, reason=str(reason), message=message)
        metrics.record_event(self.kind, str(reason), warning=warning)
        # One log line per action or transition (the engine posts an event for each of them);
        # ``k8s_ref`` is Kopf's key: text lines get the [namespace/name] prefix, JSON an object.
        meta = self.body.get("metadata", {})
        ref = {"kind": self.kind, "namespace": meta.get("namespace"), "name": meta.get("name")}
        level = logging.WARNING if warning else logging.INFO
        logger.log(level, "%s: %s", reason, message, extra={"k8s_ref": ref})

    def reconciled(self, *, action: str, outcome: str, seconds: float) -> None:
        metrics.record_reconcile(self.kind, action, outcome, seconds)

    def settled(self, status: Mapping[str, Any], *, released: bool) -> None:
        meta = self.body.get("metadata", {})
        namespace, name = str(meta.get("namespace")), str(meta.get("name"))
        if released:
            metrics.forget(self.kind, namespace, name)
            return
        metrics.record_status(
            self.kind, namespace, name, status, created=meta.get("creationTimestamp")
        )
