"""Kopf wiring only: importing this package registers every handler.

One module per kind plus start-up, indexes, persistence, liveness probes and the launcher
(leader election); each handler parses nothing and decides nothing — it picks the adapter and
the cause and calls the shared driver (DESIGN §4).
"""

from . import account, indexes, launch, namespaces, ncc, probes, rule, startup

__all__ = ["account", "indexes", "launch", "namespaces", "ncc", "probes", "rule", "startup"]
