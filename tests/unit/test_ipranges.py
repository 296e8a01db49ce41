"""Databricks' published outbound IP ranges: parsing, filtering, caching, refresh and failure.

The documents here have the shape of a stored copy of the live ``ip-ranges.json`` (schema 1.0,
docs/concepts.md); addresses are documentation ranges. The clock and the fetch are injected, so
"a day later" and "the server is down" are one line each.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ncc_operator.resources.ipranges import (
    RETRY_SECONDS,
    ConfigMapPublisher,
    KubeSender,
    OutboundIpRanges,
    check_url,
    file_fetcher,
)
from ncc_operator.resources.ipranges_feed import (
    FeedInvalidError,
    FeedUnavailableError,
    configmap_data,
    parse_feed,
)
from ncc_operator.resources.kube import KubeSecrets
from ncc_operator.settings import Settings

DAY = 86400.0


def entry(
    platform: str, region: str, type_: str, v4: list[str], v6: list[str] | None = None
) -> dict[str, Any]:
    return {
        "platform": platform,
        "region": region,
        "service": "Databricks",
        "type": type_,
        "ipv4Prefixes": v4,
        "ipv6Prefixes": v6 or [],
    }


def document(*entries: Any, **top: Any) -> dict[str, Any]:
    return {
        "timestampSeconds": 1788759480,
        "schemaVersion": "1.0",
        "prefixes": list(entries),
        **top,
    }


FEED = document(
    entry("aws", "us-east-1", "inbound", ["192.0.2.0/28"]),
    entry("aws", "us-east-1", "outbound", ["198.51.100.0/25", "192.0.2.16/28"]),
    entry("aws", "us-east-1", "outbound", ["192.0.2.16/28", "192.0.2.100/32"], ["2001:db8:1::/48"]),
    entry("aws", "us-west-2", "outbound", ["192.0.2.32/28"]),
    entry("azure", "eastus2", "outbound", ["203.0.113.16/28"]),
)


def raw(doc: Any) -> bytes:
    return json.dumps(doc).encode()


# --- parsing --------------------------------------------------------------------------------

BAD = [
    # (document, error fragment, why)
    ("not json", "not JSON", "garbage is not a feed"),
    ([], "not a JSON object", "a list is not the document"),
    ({**FEED, "schemaVersion": "2.0"}, "schemaVersion '2.0'", "another major version: unknown"),
    ({k: v for k, v in FEED.items() if k != "schemaVersion"}, "schemaVersion None", "unversioned"),
    ({**FEED, "timestampSeconds": "yesterday"}, "timestampSeconds", "timestamp must be a number"),
    ({**FEED, "prefixes": {}}, "prefixes is missing", "prefixes must be a list"),
    (document("x"), "prefixes[0] is not an object", "entries are objects"),
    (document({**entry("aws", "r", "outbound", [])} | {"region": 3}), "prefixes[0].region", "str"),
    (document(entry("aws", "r", "outbound", ["10.0.0.0/33"])), "not an IPv4 CIDR", "bad prefix"),
    (
        document(entry("aws", "r", "outbound", ["2001:db8::/48"])),
        "not an IPv4",
        "v6 in the v4 list",
    ),
    (document(entry("aws", "r", "outbound", [], ["192.0.2.0/24"])), "not an IPv6", "v4 in v6 list"),
    (document({**entry("aws", "r", "outbound", [])} | {"ipv4Prefixes": "1"}), "not a list", "list"),
]


@pytest.mark.parametrize(("doc", "fragment", "why"), BAD, ids=[c[2] for c in BAD])
def test_a_feed_not_in_the_known_format_is_rejected_whole(
    doc: Any, fragment: str, why: str
) -> None:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    with pytest.raises(FeedInvalidError, match=None) as refused:
        parse_feed(text)
    assert fragment in str(refused.value), why


GOOD = [
    # (document, why)
    (FEED, "the stored live copy's shape"),
    ({**FEED, "schemaVersion": "1.7", "newTopLevel": True}, "minor versions and new keys are fine"),
    (document({**entry("aws", "r", "outbound", ["192.0.2.1/32"])} | {"note": "x"}), "entry keys"),
    (document(), "no entries at all is a valid (empty) feed"),
    ({k: v for k, v in FEED.items() if k != "timestampSeconds"}, "timestamp is optional"),
]


@pytest.mark.parametrize(("doc", "why"), GOOD, ids=[c[1] for c in GOOD])
def test_feeds_in_the_known_format_parse(doc: dict[str, Any], why: str) -> None:
    feed = parse_feed(raw(doc))
    assert len(feed.entries) == len(doc["prefixes"]), why


FILTERS = [
    # (cloud, region, ipv4, ipv6, why)
    (
        "aws",
        "us-east-1",
        ("192.0.2.16/28", "192.0.2.100/32", "198.51.100.0/25"),
        ("2001:db8:1::/48",),
        "outbound entries merged, de-duplicated, sorted by address; inbound left out",
    ),
    ("AWS", "US-EAST-1", ("192.0.2.16/28", "192.0.2.100/32", "198.51.100.0/25"), None, "case"),
    ("aws", "us-west-2", ("192.0.2.32/28",), (), "another region of the same cloud"),
    ("azure", "us-east-1", (), (), "same region name, other cloud: nothing"),
    ("aws", "eu-west-1", (), (), "a region the feed does not list: nothing"),
]


@pytest.mark.parametrize(
    ("cloud", "region", "v4", "v6", "why"), FILTERS, ids=[c[4] for c in FILTERS]
)
def test_outbound_ranges_are_filtered_by_cloud_and_region(
    cloud: str, region: str, v4: tuple[str, ...], v6: tuple[str, ...] | None, why: str
) -> None:
    got_v4, got_v6 = parse_feed(raw(FEED)).outbound(cloud, region)
    assert got_v4 == v4, why
    if v6 is not None:
        assert got_v6 == v6, why


def test_configmap_data_has_one_key_per_region_and_the_whole_document() -> None:
    data = configmap_data(parse_feed(raw(FEED)), "https://feed.example/ip-ranges.json", "T")
    assert sorted(data) == ["aws.us-east-1", "aws.us-west-2", "azure.eastus2", "ranges.json"]
    assert data["aws.us-east-1"] == (
        "192.0.2.16/28\n192.0.2.100/32\n198.51.100.0/25\n2001:db8:1::/48\n"
    )
    whole = json.loads(data["ranges.json"])
    assert whole["source"] == "https://feed.example/ip-ranges.json"
    assert whole["feedTimestamp"] == "2026-09-07T05:38:00Z"
    assert whole["outbound"]["azure/eastus2"] == {"ipv4": ["203.0.113.16/28"], "ipv6": []}


# --- where the operator may fetch from ------------------------------------------------------

URLS = [
    # (url, allowed hosts, allow_http, ok, why)
    ("https://www.databricks.com/networking/v1/ip-ranges.json", (), False, True, "the feed host"),
    ("https://WWW.DATABRICKS.COM/networking/v1/ip-ranges.json", (), False, True, "any case"),
    ("http://www.databricks.com/networking/v1/ip-ranges.json", (), False, False, "http needs flag"),
    ("https://mirror.internal/ip-ranges.json", (), False, False, "unknown host"),
    ("https://mirror.internal/ip-ranges.json", ("mirror.internal",), False, True, "allow-listed"),
    ("http://127.0.0.1:8765/networking/v1/ip-ranges.json", ("127.0.0.1",), True, True, "emulator"),
    ("https://u:p@www.databricks.com/ip-ranges.json", (), False, False, "no userinfo (logged)"),
    ("ftp://www.databricks.com/ip-ranges.json", (), True, False, "another scheme"),
]


@pytest.mark.parametrize(("url", "hosts", "http", "ok", "why"), URLS, ids=[c[4] for c in URLS])
def test_the_feed_url_is_checked(
    url: str, hosts: tuple[str, ...], http: bool, ok: bool, why: str
) -> None:
    if ok:
        check_url(url, allowed_hosts=frozenset(hosts), allow_http=http)
        return
    with pytest.raises(ValueError, match="outbound IP ranges"):
        check_url(url, allowed_hosts=frozenset(hosts), allow_http=http)


def test_settings_choose_url_or_file_and_nothing_means_off(tmp_path: Path) -> None:
    assert OutboundIpRanges.from_settings(Settings()) is None, "no default URL: the feature is off"
    with pytest.raises(ValueError, match="only one of"):
        Settings.from_env(
            {
                "NCC_OPERATOR_OUTBOUND_IP_RANGES_URL": "https://www.databricks.com/x.json",
                "NCC_OPERATOR_OUTBOUND_IP_RANGES_FILE": "/etc/ranges.json",
            }
        )
    with pytest.raises(ValueError, match="allowed hosts"):
        OutboundIpRanges.from_settings(
            Settings.from_env({"NCC_OPERATOR_OUTBOUND_IP_RANGES_URL": "https://evil.example/x"})
        )
    path = tmp_path / "ip-ranges.json"
    from_file = OutboundIpRanges.from_settings(
        Settings.from_env({"NCC_OPERATOR_OUTBOUND_IP_RANGES_FILE": str(path)})
    )
    assert from_file is not None
    assert from_file.source == str(path)
    assert from_file.publisher is None, "no ConfigMap unless one is configured"


def test_the_kubernetes_client_can_publish() -> None:
    """``KubeSecrets`` is what start-up hands in: it must satisfy the publisher's protocol."""
    sender: type[KubeSender] = KubeSecrets
    assert sender is KubeSecrets


# --- caching, refresh, failure --------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Server:
    """A fetch that answers what the test says, counting calls."""

    def __init__(self, answer: bytes | Exception) -> None:
        self.answer = answer
        self.calls = 0

    async def __call__(self) -> bytes:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def ranges(server: Server, clock: Clock, **kw: Any) -> OutboundIpRanges:
    return OutboundIpRanges("https://feed.example/ip-ranges.json", server, DAY, clock, **kw)


async def test_the_feed_is_fetched_once_and_served_from_cache_within_a_day() -> None:
    clock, server = Clock(), Server(raw(FEED))
    cache = ranges(server, clock)
    first = await cache.status_for("azure", "eastus2")
    clock.now += DAY - 1
    again = await cache.status_for("aws", "us-west-2")
    assert server.calls == 1
    assert first == {
        "source": "https://feed.example/ip-ranges.json",
        "fetchedAt": "2027-01-15T08:00:00Z",
        "feedTimestamp": "2026-09-07T05:38:00Z",
        "ipv4": ["203.0.113.16/28"],
        "ipv6": [],
    }
    assert again["ipv4"] == ["192.0.2.32/28"]


async def test_a_day_later_it_refreshes_and_identical_content_keeps_the_status() -> None:
    """Status is written only on change: an identical daily refresh must not move fetchedAt."""
    clock, server = Clock(), Server(raw(FEED))
    cache = ranges(server, clock)
    before = await cache.status_for("aws", "us-east-1")
    clock.now += DAY
    assert await cache.status_for("aws", "us-east-1") == before
    assert server.calls == 2
    changed = document(entry("aws", "us-east-1", "outbound", ["192.0.2.200/32"]))
    server.answer = raw(changed)
    clock.now += DAY
    after = await cache.status_for("aws", "us-east-1")
    assert after["ipv4"] == ["192.0.2.200/32"]
    assert after["fetchedAt"] != before["fetchedAt"]


FAILURES: list[tuple[Callable[[], bytes | Exception], str, str]] = [
    # (answer after the first good fetch, error fragment, why)
    (lambda: FeedUnavailableError("HTTP 503 from x"), "unavailable: HTTP 503", "server down"),
    (lambda: raw({"prefixes": []}), "not in the known format", "the format changed"),
    (lambda: RuntimeError("boom"), "RuntimeError: boom", "any other failure is contained"),
]


@pytest.mark.parametrize(("answer", "fragment", "why"), FAILURES, ids=[c[2] for c in FAILURES])
async def test_a_failed_refresh_keeps_the_last_good_copy_and_says_so(
    answer: Callable[[], bytes | Exception], fragment: str, why: str
) -> None:
    clock, server = Clock(), Server(raw(FEED))
    cache = ranges(server, clock)
    good = await cache.status_for("aws", "us-west-2")
    clock.now += DAY
    server.answer = answer()
    failed = await cache.status_for("aws", "us-west-2")
    assert failed["ipv4"] == good["ipv4"], why
    assert failed["fetchedAt"] == good["fetchedAt"], why
    assert fragment in failed["error"], why
    assert failed["error"].endswith("showing the last good copy"), why
    # Every NCC asks on every reconcile: an outage is retried at a pace, not per call.
    await cache.status_for("aws", "us-west-2")
    assert server.calls == 2, why
    clock.now += RETRY_SECONDS
    server.answer = raw(FEED)
    recovered = await cache.status_for("aws", "us-west-2")
    assert server.calls == 3, why
    assert "error" not in recovered, "nothing is sticky after the cause is fixed"


async def test_no_copy_yet_shows_the_error_only() -> None:
    clock, server = Clock(), Server(FeedUnavailableError("https://x did not answer within 10 s"))
    shown = await ranges(server, clock).status_for("aws", "us-east-1")
    assert shown == {
        "source": "https://feed.example/ip-ranges.json",
        "error": "the outbound IP ranges at https://feed.example/ip-ranges.json are unavailable: "
        "https://x did not answer within 10 s",
    }


async def test_file_source_is_read_again_on_refresh(tmp_path: Path) -> None:
    path = tmp_path / "ip-ranges.json"
    path.write_bytes(raw(FEED))
    clock = Clock()
    cache = OutboundIpRanges(str(path), file_fetcher(str(path)), DAY, clock)
    assert (await cache.status_for("azure", "eastus2"))["ipv4"] == ["203.0.113.16/28"]
    path.write_bytes(raw(document(entry("azure", "eastus2", "outbound", ["203.0.113.99/32"]))))
    clock.now += DAY
    assert (await cache.status_for("azure", "eastus2"))["ipv4"] == ["203.0.113.99/32"]
    path.unlink()
    clock.now += DAY
    gone = await cache.status_for("azure", "eastus2")
    assert gone["ipv4"] == ["203.0.113.99/32"]
    assert "could not be read" in gone["error"]


# --- publishing -----------------------------------------------------------------------------


class FakeKube:
    """Records what would be sent to the Kubernetes API; answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    async def send(self, method: str, path: str, *, what: str, **kwargs: Any) -> httpx.Response:
        self.sent.append((method, path, kwargs))
        return httpx.Response(self.status)


async def test_ranges_are_published_once_per_content_by_server_side_apply() -> None:
    clock, server, kube = Clock(), Server(raw(FEED)), FakeKube()
    cache = ranges(server, clock, publisher=ConfigMapPublisher(kube, "platform", "dbx-ranges"))
    shown = await cache.status_for("aws", "us-east-1")
    await cache.status_for("azure", "eastus2")
    assert shown["configMap"] == "platform/dbx-ranges"
    assert len(kube.sent) == 1, "one apply per content, not per NCC"
    method, path, kwargs = kube.sent[0]
    assert (method, path) == ("PATCH", "/api/v1/namespaces/platform/configmaps/dbx-ranges")
    assert kwargs["params"] == {"fieldManager": "ncc-operator", "force": "true"}
    assert kwargs["headers"]["Content-Type"] == "application/apply-patch+yaml"
    body = json.loads(kwargs["content"])
    assert body["data"]["aws.us-west-2"] == "192.0.2.32/28\n"
    clock.now += DAY  # identical content: nothing to apply again
    await cache.status_for("aws", "us-east-1")
    assert len(kube.sent) == 1


async def test_a_failed_publish_is_retried_and_never_blocks_the_status() -> None:
    clock, server, kube = Clock(), Server(raw(FEED)), FakeKube(status=403)
    cache = ranges(server, clock, publisher=ConfigMapPublisher(kube, "platform", "dbx-ranges"))
    shown = await cache.status_for("aws", "us-east-1")
    assert shown["ipv4"], "the status shows the ranges even when publishing fails"
    assert "configMap" not in shown
    await cache.status_for("aws", "us-east-1")
    assert len(kube.sent) == 1, "retried at a pace, not per reconcile"
    kube.status = 201
    clock.now += RETRY_SECONDS
    assert (await cache.status_for("aws", "us-east-1"))["configMap"] == "platform/dbx-ranges"
    assert len(kube.sent) == 2
    assert server.calls == 1, "publishing again does not fetch again"
