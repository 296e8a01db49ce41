"""DatabricksAccount handlers: credentials verified on change and every account resync.

Accounts carry no finalizer (they own nothing at Databricks), so their deletion is seen only as
the watch's DELETED event: that is where the account's pooled client and schedule are dropped.
"""

from __future__ import annotations

from typing import Any

import kopf

from ncc_operator.models import ACCOUNT_PLURAL, GROUP, VERSION
from ncc_operator.reconcile.driver import Driver
from ncc_operator.resources.adapters import AccountAdapter
from ncc_operator.resources.runtime import Runtime
from ncc_operator.resources.world import Ref
from ncc_operator.settings import Settings

from . import kinds
from .context import Kind


def register(registry: kopf.OperatorRegistry, settings: Settings) -> Kind:
    kind = kinds.register(
        Kind(
            AccountAdapter(resync_seconds=settings.account_resync_seconds),
            ACCOUNT_PLURAL,
            creates=False,
            indexed=lambda world, ref: world.account(ref),
        ),
        registry=registry,
    )

    @kopf.on.event(GROUP, VERSION, ACCOUNT_PLURAL, id=f"{ACCOUNT_PLURAL}-gone", registry=registry)
    async def gone(
        type: str, name: str, namespace: str | None, uid: str, memo: kopf.Memo, **_: Any
    ) -> None:
        if type != "DELETED" or "runtime" not in memo:
            return
        runtime: Runtime = memo["runtime"]
        await runtime.pool.forget(str(Ref(namespace or "", name)))
        driver: Driver = memo["driver"]
        driver.schedule.forget(uid)
        driver.locks.forget(uid)

    return kind
