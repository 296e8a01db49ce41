"""The client pool's own tasks end with the operator: a client replaced after a credential change
is closed after a grace period, or at once when the pool closes (operator shutdown) — no task or
connection pool outlives it.
"""

from __future__ import annotations

import asyncio

from ncc_emulator.testing import RunningEmulator
from tests.resources.test_adapters import make_world


async def test_closing_the_pool_closes_replaced_clients_at_once(emulator: RunningEmulator) -> None:
    fake, runtime = make_world(emulator)
    account = next(iter(fake.accounts.values()))
    first = await runtime.pool.client(account)
    secrets = runtime.pool._secrets
    secrets.data = {**secrets.data, "client-secret": "rotated"}  # type: ignore[attr-defined]
    second = await runtime.pool.client(account, refresh=True)
    assert second is not first, "changed credentials make a new client"
    retiring = set(runtime.pool._retiring)
    assert len(retiring) == 1, "the old one waits out its grace period in the background"

    await asyncio.wait_for(runtime.pool.close(), timeout=5)  # not the 120 s grace

    assert all(task.done() for task in retiring)
    assert first._http.is_closed
    assert second._http.is_closed
