"""The emulator serves an ``ip-ranges.json`` fixture in the published format, without auth, and
lets a test replace it or make it fail; the operator's reader parses what it serves."""

from __future__ import annotations

import httpx
import pytest

from ncc_emulator.ipranges import FIXTURE, PATH
from ncc_emulator.testing import RunningEmulator
from ncc_operator.resources.ipranges import OutboundIpRanges, url_fetcher
from ncc_operator.resources.ipranges_feed import FeedUnavailableError, parse_feed


def test_the_fixture_is_public_json_in_the_published_format(emulator: RunningEmulator) -> None:
    response = httpx.get(emulator.base_url + PATH)  # no bearer token: the real one is public
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == FIXTURE
    feed = parse_feed(response.content)
    assert feed.schema_version == "1.0"
    assert feed.outbound("azure", "eastus2") == (("203.0.113.16/28",), ("2001:db8::/48",))
    counts = emulator.admin.request_counts()
    assert counts[f"GET {PATH}"] == 1, "counted like every other route"


def test_a_test_can_serve_another_document_an_error_and_restore(emulator: RunningEmulator) -> None:
    url = emulator.base_url + PATH
    emulator.admin.serve_ip_ranges({"schemaVersion": "9"})
    assert httpx.get(url).json() == {"schemaVersion": "9"}
    emulator.admin.serve_ip_ranges(status=503)
    assert httpx.get(url).status_code == 503
    emulator.admin.restore_ip_ranges()
    assert httpx.get(url).json() == FIXTURE
    with pytest.raises(httpx.HTTPStatusError):
        emulator.admin.serve_ip_ranges()  # neither document nor status: refused


async def test_the_operator_reads_the_emulator_over_http(emulator: RunningEmulator) -> None:
    url = emulator.base_url + PATH
    cache = OutboundIpRanges(url, url_fetcher(url, allow_http=True))
    shown = await cache.status_for("aws", "us-east-1")
    assert shown["ipv4"] == ["192.0.2.16/28", "198.51.100.0/25"]
    assert shown["feedTimestamp"] == "2026-09-07T05:38:00Z"
    emulator.admin.serve_ip_ranges(status=500)
    with pytest.raises(FeedUnavailableError, match="HTTP 500"):
        await url_fetcher(url, allow_http=True)()


async def test_https_only_applies_to_redirects_too(emulator: RunningEmulator) -> None:
    """A plain-http answer is refused unless the operator allows http (the check is on the URL
    the answer finally came from, so a redirect cannot downgrade it)."""
    with pytest.raises(FeedUnavailableError, match="non-https"):
        await url_fetcher(emulator.base_url + PATH, allow_http=False)()
