"""The format of Databricks' ``ip-ranges.json`` and what is derived from it: parsing (schema
1.x only, rejected whole when not valid), the outbound ranges of one cloud and region, and the
ConfigMap data published for firewall automation. Pure functions, no I/O (``ipranges`` reads).

The format is taken from a stored copy of the live document (docs/concepts.md cites it); the
Databricks page that announces the feed does not spell out its schema in the text we could read.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SUPPORTED_SCHEMA_MAJOR = "1"
OUTBOUND = "outbound"


class FeedInvalidError(ValueError):
    """The document is not in the format this module knows (schema 1.x, docs/concepts.md)."""


class FeedUnavailableError(Exception):
    """The document could not be read (network, HTTP status, file)."""


@dataclass(frozen=True)
class FeedEntry:
    platform: str
    region: str
    service: str
    type: str
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]


@dataclass(frozen=True)
class Feed:
    schema_version: str
    timestamp_seconds: int | None
    entries: tuple[FeedEntry, ...]

    def outbound(self, cloud: str, region: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The outbound IPv4 and IPv6 prefixes of ``cloud`` in ``region`` (sorted, unique)."""
        cloud, region = cloud.lower(), region.lower()
        v4: set[str] = set()
        v6: set[str] = set()
        for e in self.entries:
            if e.platform == cloud and e.region == region and e.type == OUTBOUND:
                v4.update(e.ipv4)
                v6.update(e.ipv6)
        return tuple(sorted(v4, key=_net_key)), tuple(sorted(v6, key=_net_key))

    def outbound_regions(self) -> list[tuple[str, str]]:
        return sorted({(e.platform, e.region) for e in self.entries if e.type == OUTBOUND})


def _net_key(prefix: str) -> tuple[int, int, int]:
    net = ipaddress.ip_network(prefix, strict=False)
    return (net.version, int(net.network_address), net.prefixlen)


def parse_feed(raw: bytes | str) -> Feed:
    """Parse ``ip-ranges.json``; raises :class:`FeedInvalidError` saying what is wrong.

    Format (schema 1.0): ``{"timestampSeconds": int, "schemaVersion": "1.0", "prefixes": [{
    "platform": "aws|azure|gcp", "region", "service", "type": "inbound|outbound",
    "ipv4Prefixes": [cidr], "ipv6Prefixes": [cidr]}]}``. Unknown keys are ignored (additions
    are compatible); a missing or wrong-typed known key, a bad CIDR or another major schema
    version rejects the document.
    """
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise FeedInvalidError(f"not JSON: {error}") from None
    if not isinstance(data, dict):
        raise FeedInvalidError("the document is not a JSON object")
    version = data.get("schemaVersion")
    if not isinstance(version, str) or version.split(".")[0] != SUPPORTED_SCHEMA_MAJOR:
        raise FeedInvalidError(
            f"schemaVersion {version!r} is not {SUPPORTED_SCHEMA_MAJOR}.x, the only format known"
        )
    stamp = data.get("timestampSeconds")
    if stamp is not None and (isinstance(stamp, bool) or not isinstance(stamp, int)):
        raise FeedInvalidError("timestampSeconds is not an integer")
    prefixes = data.get("prefixes")
    if not isinstance(prefixes, list):
        raise FeedInvalidError("prefixes is missing or not a list")
    entries = tuple(_entry(i, p) for i, p in enumerate(prefixes))
    return Feed(version, stamp, entries)


def _entry(index: int, item: Any) -> FeedEntry:
    where = f"prefixes[{index}]"
    if not isinstance(item, dict):
        raise FeedInvalidError(f"{where} is not an object")
    texts: dict[str, str] = {}
    for key in ("platform", "region", "type"):
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise FeedInvalidError(f"{where}.{key} is missing or not a string")
        texts[key] = value.lower()
    service = item.get("service", "")
    if not isinstance(service, str):
        raise FeedInvalidError(f"{where}.service is not a string")
    return FeedEntry(
        platform=texts["platform"],
        region=texts["region"],
        service=service,
        type=texts["type"],
        ipv4=_cidrs(item, "ipv4Prefixes", 4, where),
        ipv6=_cidrs(item, "ipv6Prefixes", 6, where),
    )


def _cidrs(item: Mapping[str, Any], key: str, version: int, where: str) -> tuple[str, ...]:
    values = item.get(key, [])
    if not isinstance(values, list):
        raise FeedInvalidError(f"{where}.{key} is not a list")
    out: list[str] = []
    for value in values:
        try:
            net = ipaddress.ip_network(value, strict=False) if isinstance(value, str) else None
        except ValueError:
            net = None
        if net is None or net.version != version:
            raise FeedInvalidError(f"{where}.{key} holds {value!r}, not an IPv{version} CIDR")
        out.append(str(net))
    return tuple(out)


def configmap_data(feed: Feed, source: str, fetched_at: str) -> dict[str, str]:
    """One key per cloud and region (``aws.us-east-1``: one CIDR per line, IPv4 then IPv6), and
    ``ranges.json`` with every outbound range and where it came from."""
    data: dict[str, str] = {}
    ranges: dict[str, dict[str, list[str]]] = {}
    for cloud, region in feed.outbound_regions():
        v4, v6 = feed.outbound(cloud, region)
        data[f"{cloud}.{region}"] = "".join(f"{p}\n" for p in (*v4, *v6))
        ranges[f"{cloud}/{region}"] = {"ipv4": list(v4), "ipv6": list(v6)}
    meta: dict[str, Any] = {
        "source": source,
        "fetchedAt": fetched_at,
        "schemaVersion": feed.schema_version,
    }
    if feed.timestamp_seconds is not None:
        meta["feedTimestamp"] = rfc3339(float(feed.timestamp_seconds))
    data["ranges.json"] = json.dumps({**meta, "outbound": ranges}, indent=1, sort_keys=True)
    return data


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
