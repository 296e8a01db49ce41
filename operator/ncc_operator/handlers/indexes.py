"""Kopf indexes: the in-memory World of accounts, NCCs, rules, network policies and namespace
labels.

Kopf fills every index before any resource handler runs, so conflict decisions after a restart
see all objects at once (no flip-flop while the cache warms up). The indexers are coroutines
although they never await: Kopf runs a plain function on a thread of the default executor, two
thread hops per indexer and watch event (a seventh of the operator's CPU in a 1,000-rule apply).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import kopf

from ncc_operator.models import (
    ACCOUNT_PLURAL,
    GROUP,
    NCC_PLURAL,
    POLICY_PLURAL,
    RULE_PLURAL,
    VERSION,
)
from ncc_operator.resources.world import (
    Ref,
    RuleEntry,
    account_entry,
    ncc_entry,
    policy_entry,
    rule_entry,
)

logger = logging.getLogger(__name__)


def _indexed(build: Callable[[Mapping[str, Any]], Any], body: kopf.Body) -> dict[Ref, Any]:
    meta = body.get("metadata", {})
    try:
        return {Ref(meta.get("namespace", ""), meta.get("name", "")): build(body)}
    except ValueError as error:  # an object the CRD admitted but the model rejects
        logger.warning("not indexing %s/%s: %s", meta.get("namespace"), meta.get("name"), error)
        return {}


def register(registry: kopf.OperatorRegistry) -> None:
    """The indexes, by the names the handlers' kwargs (and ``IndexedWorld``) use."""
    kopf.index(GROUP, VERSION, ACCOUNT_PLURAL, id="dbx_accounts", registry=registry)(dbx_accounts)
    kopf.index(GROUP, VERSION, NCC_PLURAL, id="dbx_nccs", registry=registry)(dbx_nccs)
    kopf.index(GROUP, VERSION, RULE_PLURAL, id="dbx_rules", registry=registry)(dbx_rules)
    kopf.index(GROUP, VERSION, RULE_PLURAL, id="dbx_rules_by_ncc", registry=registry)(
        dbx_rules_by_ncc
    )
    kopf.index(GROUP, VERSION, POLICY_PLURAL, id="dbx_policies", registry=registry)(dbx_policies)
    kopf.index("", "v1", "namespaces", id="namespace_labels", registry=registry)(namespace_labels)


async def dbx_accounts(body: kopf.Body, **_: Any) -> dict[Ref, Any]:
    return _indexed(account_entry, body)


async def dbx_nccs(body: kopf.Body, **_: Any) -> dict[Ref, Any]:
    return _indexed(ncc_entry, body)


async def dbx_policies(body: kopf.Body, **_: Any) -> dict[Ref, Any]:
    return _indexed(policy_entry, body)


async def dbx_rules(body: kopf.Body, **_: Any) -> dict[Ref, Any]:
    return _indexed(_rule_once, body)


async def dbx_rules_by_ncc(body: kopf.Body, **_: Any) -> dict[Ref, Any]:
    # Rules grouped by the NCC they reference: conflict checks, NCC deletion and wake-ups look
    # at one NCC's rules without scanning every rule of the cluster.
    try:
        entry = _rule_once(body)
    except ValueError:
        return {}
    return {entry.ncc: entry}


_last_rule: tuple[tuple[str, str], RuleEntry] | None = None
"""The rule entry parsed for the event being indexed. Kopf runs a kind's indexers one after the
other on the same body, so the second rule index reuses the first's entry: one parse per event,
and both indexes hold the same object instead of a model each."""


def _rule_once(body: Mapping[str, Any]) -> RuleEntry:
    global _last_rule  # noqa: PLW0603 - a one-slot memo, by design
    meta = body.get("metadata", {})
    key = (str(meta.get("uid", "")), str(meta.get("resourceVersion", "")))
    if _last_rule is not None and _last_rule[0] == key and key[1]:
        return _last_rule[1]
    entry = rule_entry(body)
    _last_rule = (key, entry)
    return entry


async def namespace_labels(name: str, labels: kopf.Labels, **_: Any) -> dict[str, dict[str, str]]:
    return {name: dict(labels)}
