"""Async clients on pytest-asyncio's loop talk to the emulator's own loop without deadlock."""

from __future__ import annotations

import asyncio

import httpx

from ncc_emulator.testing import RunningEmulator

from .conftest import fetch_token


async def test_concurrent_async_creates(emulator: RunningEmulator) -> None:
    emulator.admin.configure(limits={"nccs_per_region": 20})
    base = f"{emulator.base_url}/api/2.0/accounts/{emulator.account_id}"
    headers = {"Authorization": f"Bearer {fetch_token(emulator)}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/network-connectivity-configs", json={"name": f"n-{i:02}", "region": "r1"}
                )
                for i in range(20)
            )
        )
        assert {r.status_code for r in responses} == {200}
        ids = {r.json()["network_connectivity_config_id"] for r in responses}
        listed = (await client.get("/network-connectivity-configs")).json()["items"]
    assert len(ids) == 20
    assert {n["network_connectivity_config_id"] for n in listed} == ids


async def test_concurrent_creates_hit_the_quota_exactly(emulator: RunningEmulator) -> None:
    base = f"{emulator.base_url}/api/2.0/accounts/{emulator.account_id}"
    headers = {"Authorization": f"Bearer {fetch_token(emulator)}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        responses = await asyncio.gather(
            *(
                client.post(
                    "/network-connectivity-configs", json={"name": f"q-{i:02}", "region": "r1"}
                )
                for i in range(12)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 10 + [400] * 2  # default limit: 10 NCCs per region
