"""Kopf wiring only: :func:`register` puts every handler into a Kopf registry.

One module per kind plus start-up, indexes, persistence, liveness probes and the launcher
(leader election); each handler parses nothing and decides nothing — it picks the adapter and
the cause and calls the shared driver (DESIGN §4). Nothing registers at import: ``ncc-operator
run`` reads the settings at start-up, builds a registry with them and hands it to Kopf, so an
import (a test, ``export``) has no side effect and the settings a process runs with are the
ones it was started with.
"""

import kopf

from ncc_operator.settings import Settings

from . import account, indexes, namespaces, ncc, network_policy, probes, rule, startup


def register(registry: kopf.OperatorRegistry, settings: Settings) -> kopf.OperatorRegistry:
    """Every handler of the operator, configured with ``settings``, into ``registry``."""
    kinds = (
        account.register(registry, settings),
        ncc.register(registry),
        rule.register(registry),
        network_policy.register(registry),
    )
    # The scheduler (started with the operator) runs every kind by its Kind name.
    startup.register(registry, settings, {k.adapter.kind: k for k in kinds})
    probes.register(registry)
    indexes.register(registry)
    namespaces.register(registry)
    return registry


__all__ = ["register"]
