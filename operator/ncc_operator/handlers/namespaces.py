"""Namespace label changes: rules in that namespace look again at once.

An NCC admitting rules by namespace selector (``allowedRuleNamespaces.from: Selector``) decides on
the rule namespace's labels. Without this, a rule refused with NamespaceNotAllowed would notice a
new label only at its next (backed-off) retry.
"""

from __future__ import annotations

from typing import Any

import kopf

from ncc_operator.reconcile.driver import Driver


def register(registry: kopf.OperatorRegistry) -> None:
    @kopf.on.event("", "v1", "namespaces", id="namespace-labels", registry=registry)
    async def labels_changed(name: str, memo: kopf.Memo, **kwargs: Any) -> None:
        await _wake_rules_in(name, memo, kwargs)


async def _wake_rules_in(name: str, memo: kopf.Memo, kwargs: dict[str, Any]) -> None:
    driver: Driver | None = memo.get("driver")
    if driver is None:  # events can arrive before start-up finished: nothing is scheduled yet
        return
    for store in kwargs["dbx_rules"].values():
        for entry in store:
            if entry.ref.namespace == name:
                driver.schedule.now(entry.uid)
