"""The public serverless outbound IP ranges document (``ip-ranges.json``), as a fixture.

Databricks publishes the public IP ranges of serverless compute as ``ip-ranges.json`` ("Connect
to public on-premises endpoints using outbound IP addresses"); it is served without
authentication, at ``/networking/v1/ip-ranges.json`` as on www.databricks.com. The shape is the
one of a stored copy of the live document (docs/emulator.md cites it): ``timestampSeconds``,
``schemaVersion`` "1.0", and ``prefixes`` entries with ``platform``, ``region``, ``service``,
``type`` (inbound/outbound), ``ipv4Prefixes`` and ``ipv6Prefixes``. The addresses here are
documentation ranges (RFC 5737, RFC 3849), never real Databricks ones.

``PUT /_emulator/ip-ranges`` (admin) serves another document (``{"document": …}``, served as
given, so a test can serve a broken one) or an error status (``{"status": 503}``); ``DELETE``
restores this fixture. This module holds the document only; ``routes`` serves it.
"""

from __future__ import annotations

import copy
from typing import Any

from .endpoints import IP_RANGES

PATH = IP_RANGES.template
FIXTURE_TIMESTAMP = 1788759480  # 2026-09-07T05:38:00Z, the stored copy's own timestamp


def _entry(platform: str, region: str, type_: str, v4: list[str], v6: list[str]) -> dict[str, Any]:
    return {
        "platform": platform,
        "region": region,
        "service": "Databricks",
        "type": type_,
        "ipv4Prefixes": v4,
        "ipv6Prefixes": v6,
    }


FIXTURE: dict[str, Any] = {
    "timestampSeconds": FIXTURE_TIMESTAMP,
    "schemaVersion": "1.0",
    "prefixes": [
        _entry("aws", "us-east-1", "inbound", ["192.0.2.0/28"], []),
        _entry("aws", "us-east-1", "outbound", ["192.0.2.16/28", "198.51.100.0/25"], []),
        _entry("aws", "us-west-2", "outbound", ["192.0.2.32/28", "198.51.100.128/25"], []),
        _entry("aws", "eu-west-1", "outbound", ["192.0.2.48/28"], []),
        _entry("azure", "eastus2", "inbound", ["203.0.113.0/28"], []),
        _entry("azure", "eastus2", "outbound", ["203.0.113.16/28"], ["2001:db8::/48"]),
        _entry("azure", "westus", "outbound", ["203.0.113.32/28"], []),
        _entry("azure", "westeurope", "outbound", ["203.0.113.48/28"], []),
        _entry("gcp", "us-central1", "outbound", ["198.51.100.64/28"], []),
    ],
}


class IpRangesDocument:
    """What ``GET /networking/v1/ip-ranges.json`` answers now."""

    def __init__(self) -> None:
        self.document: Any = copy.deepcopy(FIXTURE)
        self.status: int = 200
