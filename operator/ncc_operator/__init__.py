"""ncc-operator: manage Databricks serverless network connectivity from Kubernetes.

This package holds the operator. Its sub-packages follow DESIGN §4: ``databricks`` (typed Account
API client), and — as they arrive — ``models``, ``reconcile``, ``resources`` and ``handlers``.
"""

__version__ = "0.1.0"
