"""What Kopf remembers of an object between events (its diff base), as the operator configures it.

The stored copy must not grow with user metadata (a 150 KB annotation would push the object past
the apiserver's 256 KiB limit), and Kopf must still see every change a handler reacts to: the
spec and the operator's own annotations. Checked through the configured storage's build/store,
the calls Kopf itself makes on every event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import kopf
import pytest

from ncc_operator.handlers import kinds, persistence
from ncc_operator.models import PAUSED_ANNOTATION, RECONCILE_REQUESTED_AT_ANNOTATION

BIG = "x" * 150_000


def storage() -> kopf.DiffBaseStorage:
    settings = kopf.OperatorSettings()
    persistence.configure(settings)
    return settings.persistence.diffbase_storage


def body(
    spec: dict[str, Any] | None = None,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> kopf.Body:
    return kopf.Body(
        {
            "apiVersion": "networking.ncc-operator.io/v1alpha1",
            "kind": "PrivateEndpointRule",
            "metadata": {
                "name": "r",
                "namespace": "ns",
                "uid": "u",
                "annotations": annotations or {},
                "labels": labels or {},
            },
            "spec": spec or {"nccRef": {"name": "prod"}},
            "status": {"id": "x"},
        }
    )


def essence(b: kopf.Body) -> dict[str, Any]:
    built = storage().build(body=b, extra_fields=[kinds.REQUESTED_FIELD])
    return dict(built)


def test_stored_diff_base_stays_small_with_a_150kb_annotation() -> None:
    b = body(annotations={"example.com/notes": BIG}, labels={"team": "data" * 10})
    patch = kopf.Patch()
    storage().store(body=b, patch=patch, essence=storage().build(body=b))
    stored = json.dumps(dict(patch))
    assert len(stored) < 1024, stored[:200]
    assert "nccRef" in stored


@dataclass(frozen=True)
class Change:
    why: str
    after: kopf.Body
    seen: bool
    before: kopf.Body = field(default_factory=body)


CHANGES = [
    Change(
        "a spec edit is what every handler reacts to", body(spec={"nccRef": {"name": "x"}}), True
    ),
    Change("pausing stops the reconcile", body(annotations={PAUSED_ANNOTATION: "true"}), True),
    Change(
        "reconcile-requested-at forces a pass (its field handler needs it)",
        body(annotations={RECONCILE_REQUESTED_AT_ANNOTATION: "1"}),
        True,
    ),
    Change(
        "a user annotation is not ours to react to",
        body(annotations={"example.com/notes": BIG}),
        False,
    ),
    Change("labels change nothing the operator does", body(labels={"team": "data"}), False),
    Change(
        "kubectl apply's own copy of the object is never part of it",
        body(annotations={"kubectl.kubernetes.io/last-applied-configuration": "{}"}),
        False,
    ),
]


@pytest.mark.parametrize("change", CHANGES, ids=[c.why for c in CHANGES])
def test_kopf_sees_exactly_the_changes_handlers_react_to(change: Change) -> None:
    assert (essence(change.before) != essence(change.after)) is change.seen
