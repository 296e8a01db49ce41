"""``ncc-operator emulator``: run the emulator in the foreground until interrupted.

Latency SPEC grammar: comma-separated entries ``[METHOD:PATH=]DURATION`` where PATH is a route
template (``/api/2.0/accounts/{account_id}/network-connectivity-configs``) and DURATION is
``<n>ms`` or ``<n>s`` (a bare number means milliseconds); a bare DURATION or ``*=DURATION`` applies
to every API route. Example: ``POST:/api/…/private-endpoint-rules=200ms,*=20ms``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click
from aiohttp import web

from .faults import parse_latency_spec
from .server import build_app
from .settings import PROFILES, EmulatorConfig
from .state import Emulator
from .testing import DEMO_ACCOUNT_ID, DEMO_CLIENT_ID

# A local fake's well-known demo credential, never a real secret; override it for shared hosts.
DEMO_CLIENT_SECRET = "ncc-emulator-demo-secret"  # noqa: S105


def _parse_workspace(text: str) -> tuple[int, str]:
    workspace_id, sep, region = text.partition(":")
    if not sep or not workspace_id.isdigit() or not region:
        raise click.BadParameter(f"{text!r} is not ID:REGION (e.g. 1234567890:eastus2)")
    return int(workspace_id), region


async def _serve(emu: Emulator, host: str, port: int) -> None:
    runner = web.AppRunner(build_app(emu))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound = runner.addresses[0][1]
    click.echo(f"Databricks emulator ({emu.cloud}) for account {emu.account_id}")
    click.echo(f"Base URL: http://{host}:{bound}")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--cloud", type=click.Choice(["aws", "azure", "gcp"]), default="azure", show_default=True
)
@click.option("--account-id", default=DEMO_ACCOUNT_ID, show_default=True)
@click.option("--client-id", default=DEMO_CLIENT_ID, show_default=True)
@click.option(
    "--client-secret", envvar="NCC_EMULATOR_CLIENT_SECRET", default=DEMO_CLIENT_SECRET,
    show_default="demo secret; or $NCC_EMULATOR_CLIENT_SECRET", show_envvar=True,
)  # fmt: skip
@click.option("--workspace", "workspaces", multiple=True, help="ID:REGION, repeatable.")
@click.option("--state-file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--latency", help="SPEC, e.g. 50ms or POST:/api/…/private-endpoint-rules=200ms.")
@click.option("--rate-limit", type=float, help="Requests/s per account; 429 + Retry-After beyond.")
@click.option("--page-size", type=int, help="Items per list page (default 50).")
@click.option("--creating-seconds", type=float, help="Seconds a new rule stays CREATING.")
@click.option(
    "--profile", type=click.Choice(sorted(PROFILES)), default="fast", show_default=True,
    help="Timing bundle: fast (tests, demo) or realistic (CREATING 180 s); options win.",
)  # fmt: skip
def emulator(
    *,
    host: str,
    port: int,
    cloud: str,
    account_id: str,
    client_id: str,
    client_secret: str,
    workspaces: tuple[str, ...],
    state_file: Path | None,
    latency: str | None,
    rate_limit: float | None,
    page_size: int | None,
    creating_seconds: float | None,
    profile: str,
) -> None:
    """Run a local Databricks Account API emulator (NCCs, private endpoint rules, workspaces)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config = EmulatorConfig(rate_limit_rps=rate_limit)
    config.merge(PROFILES[profile])
    if page_size is not None:
        config.page_size = page_size
    if creating_seconds is not None:
        config.creating_seconds = creating_seconds
    try:
        latency_map = parse_latency_spec(latency) if latency else {}
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--latency") from exc
    emu = Emulator(
        account_id=account_id, cloud=cloud, client_id=client_id, client_secret=client_secret,
        config=config, workspaces=[_parse_workspace(w) for w in workspaces], state_file=state_file,
    )  # fmt: skip
    if latency_map:
        emu.faults.configure({"latency": latency_map})
    try:
        asyncio.run(_serve(emu, host, port))
    except KeyboardInterrupt:
        click.echo("stopped")
