"""The per-call context handed to adapters: the shared runtime with a World over the indexes."""

from __future__ import annotations

import dataclasses
from typing import Any

import kopf

from ncc_operator import metrics
from ncc_operator.reconcile.driver import Adapter, Cause, DeletionPending, Driver
from ncc_operator.resources.kube import PendingCreateMark
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import IndexedWorld


def runtime_of(memo: kopf.Memo, kwargs: dict[str, Any]) -> Runtime:
    world = IndexedWorld(
        kwargs["dbx_accounts"],
        kwargs["dbx_nccs"],
        kwargs["dbx_rules"],
        kwargs["namespace_labels"],
        kwargs["dbx_rules_by_ncc"],
    )
    runtime: Runtime = memo["runtime"]
    return dataclasses.replace(runtime, world=world)


async def drive(
    adapter: Adapter[Runtime, Any],
    cause: Cause,
    *,
    body: kopf.Body,
    patch: kopf.Patch,
    memo: kopf.Memo,
    kwargs: dict[str, Any],
    plural: str | None = None,
) -> bool:
    """Run the driver; ``plural`` names the kind's resource when it creates at Databricks (its
    objects get the pending-create guard). A deletion that is not released yet keeps Kopf's
    finalizer through ``TemporaryError`` with the driver's delay."""
    driver: Driver = memo["driver"]
    guard = None
    if plural is not None:
        meta = body.get("metadata", {})
        guard = PendingCreateMark(
            memo["secrets"], plural, str(meta.get("namespace")), str(meta.get("name"))
        )
    with metrics.reconciling(adapter.kind):
        try:
            return await driver.run(
                adapter, body, patch, runtime_of(memo, kwargs), cause, guard=guard
            )
        except DeletionPending as pending:
            raise kopf.TemporaryError(str(pending), delay=pending.delay) from None
