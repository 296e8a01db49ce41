"""One pass of the driver, from a Kopf handler or from the scheduler: the guard, the metrics,
and (for Kopf) a pending deletion turned into ``TemporaryError``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import kopf

from ncc_operator import metrics
from ncc_operator.reconcile.driver import Adapter, Cause, DeletionPending, Driver
from ncc_operator.resources.kube import KubeSecrets, PendingCreateMark
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import Entry, Ref, World


@dataclass(frozen=True)
class Kind:
    """How the wiring runs one kind: its adapter, its plural, and whether it creates at
    Databricks (its passes then carry the pending-create guard)."""

    adapter: Adapter[Runtime, Any]
    plural: str
    creates: bool
    indexed: Callable[[World, Ref], Entry | None]
    """The kind's index lookup: where the scheduler finds an object's latest body."""


def runtime_of(memo: kopf.Memo) -> Runtime:
    """The shared runtime; its World reads the indexes start-up handed over (handlers/startup)."""
    runtime: Runtime = memo["runtime"]
    return runtime


async def run_pass(
    kind: Kind,
    cause: Cause,
    *,
    body: Mapping[str, Any],
    patch: MutableMapping[str, Any],
    runtime: Runtime,
    driver: Driver,
    kube: KubeSecrets,
) -> bool:
    """Run the driver once; True when the object was released. ``DeletionPending`` passes up."""
    guard = None
    if kind.creates:
        meta = body.get("metadata", {})
        guard = PendingCreateMark(
            kube, kind.plural, str(meta.get("namespace")), str(meta.get("name"))
        )
    with metrics.reconciling(kind.adapter.kind):
        return await driver.run(kind.adapter, body, patch, runtime, cause, guard=guard)


async def drive(
    kind: Kind, cause: Cause, *, body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo
) -> bool:
    """A pass from a Kopf handler. A deletion that is not released yet keeps Kopf's finalizer
    through ``TemporaryError`` with the driver's delay."""
    if "ticker" in memo:
        memo["ticker"][0].adopt_context()
    try:
        return await run_pass(
            kind,
            cause,
            body=body,
            patch=patch,
            runtime=runtime_of(memo),
            driver=memo["driver"],
            kube=memo["secrets"],
        )
    except DeletionPending as pending:
        raise kopf.TemporaryError(str(pending), delay=pending.delay) from None
