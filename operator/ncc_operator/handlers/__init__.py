"""Kopf wiring only: importing this package registers every handler.

One module per kind plus start-up, indexes, persistence and liveness probes; each handler parses
nothing and decides nothing — it picks the adapter and the cause and calls the shared driver
(DESIGN §4).
"""

from . import account, indexes, namespaces, ncc, probes, rule, startup

__all__ = ["account", "indexes", "namespaces", "ncc", "probes", "rule", "startup"]
