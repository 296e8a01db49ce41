"""Where Kopf keeps its bookkeeping on our objects, and how little of it there is.

Kopf compares every event with the "diff base" it stored after the last handled change. Its
default essence copies all labels and annotations, so one large user annotation (150 KB of
notes, a tool's own state) doubled on every object pushes metadata past the apiserver's
256 KiB limit: every patch the operator sends then fails with 422, status goes stale, and the
finalizer can never be removed. Our handlers only ever react to the spec and to the operator's
own user-facing annotations, so that is all the essence keeps: its size is bounded by the spec,
never by user metadata.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import kopf

from ncc_operator.models import PAUSED_ANNOTATION, RECONCILE_REQUESTED_AT_ANNOTATION

STATE_PREFIX = "state.ncc-operator.io"
"""Prefix of the operator's bookkeeping annotations (handler progress, last-handled spec)."""

DIFFBASE_ANNOTATION = f"{STATE_PREFIX}/last-handled-configuration"
"""Kopf's stored diff base: absent until an object's change handler has run once."""

FIRST_PASS_ANNOTATION = f"{STATE_PREFIX}/first-pass-due"
"""Written by ``handlers/kinds.py`` to give a never-handled object an event of its own."""

KEPT_ANNOTATIONS = frozenset({PAUSED_ANNOTATION, RECONCILE_REQUESTED_AT_ANNOTATION})
"""The annotations that change what the operator does; every other one is the user's own."""


class CompactDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    """Kopf's annotation storage with an essence of spec + the operator's annotations only.

    Labels and other annotations are dropped from the essence, so a change to them is not a
    change to Kopf (no handler needs one), and the stored copy never grows with them.
    Annotations a field handler watches (``extra_fields``) are kept as well.
    """

    def build(
        self, *, body: kopf.Body, extra_fields: Iterable[kopf.FieldSpec] | None = None
    ) -> kopf.BodyEssence:
        fields = list(extra_fields or [])
        essence = cast(dict[str, Any], super().build(body=body, extra_fields=fields))
        metadata = essence.get("metadata") or {}
        metadata.pop("labels", None)
        kept = KEPT_ANNOTATIONS | _watched_annotations(fields)
        annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if k in kept}
        if annotations:
            metadata["annotations"] = annotations
        else:
            metadata.pop("annotations", None)
        if metadata:
            essence["metadata"] = metadata
        else:
            essence.pop("metadata", None)
        return cast(kopf.BodyEssence, essence)


def _watched_annotations(fields: Iterable[kopf.FieldSpec]) -> set[str]:
    watched = set()
    for spec in fields:
        if spec is None:
            continue
        path = tuple(spec.split(".")) if isinstance(spec, str) else tuple(spec)
        if len(path) >= 3 and path[:2] == ("metadata", "annotations"):
            watched.add(path[2])
    return watched


def configure(settings: kopf.OperatorSettings) -> None:
    """Progress and diff base in annotations under our own prefix, kept small."""
    # Annotations, not status: our CRD status schema is structural and would prune `status.kopf`.
    # Kopf ignores every annotation under its storage prefix when diffing, so that prefix must not
    # be the user-facing `ncc-operator.io/` (paused, reconcile-requested-at would never trigger).
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=STATE_PREFIX)
    settings.persistence.diffbase_storage = CompactDiffBaseStorage(
        prefix=STATE_PREFIX, key=DIFFBASE_ANNOTATION.split("/", 1)[1]
    )
