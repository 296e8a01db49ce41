"""One adapter per kind: the only place Kubernetes meets Databricks.

``accounts`` (client pool, credential checks), ``ncc`` (NCCs and workspace attachment),
``rule`` (private endpoint rules) implement the engine's ``ExternalClient``; ``cache`` shares one
NCC read between the NCC and all its rules; ``world`` is the in-memory view of other objects;
``errors`` classifies Databricks errors into engine problems; ``adapters`` joins them for the
driver.
"""
