"""The per-call context handed to adapters: the shared runtime with a World over the indexes."""

from __future__ import annotations

import dataclasses
from typing import Any

import kopf

from ncc_operator.reconcile.driver import Adapter, Cause, Driver
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
    adapter: Adapter,
    cause: Cause,
    *,
    body: kopf.Body,
    patch: kopf.Patch,
    memo: kopf.Memo,
    kwargs: dict[str, Any],
) -> bool:
    driver: Driver = memo["driver"]
    return await driver.run(adapter, body, patch, runtime_of(memo, kwargs), cause)
