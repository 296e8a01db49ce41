"""The ``ncc-operator`` command line: one click group, sub-commands imported lazily.

Sub-commands live with what they drive (the emulator, the test environment, the operator) so that
``ncc-operator emulator`` never pays for importing Kopf, and the emulator stays independent code.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ncc_operator.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ncc-operator")
def main() -> None:
    """Manage Databricks serverless network connectivity from Kubernetes."""


@main.command()
@click.option(
    "--namespace",
    "namespaces",
    multiple=True,
    help="Watch only this namespace (repeatable). Default: all namespaces.",
)
@click.option(
    "--liveness",
    default="http://0.0.0.0:8081/healthz",
    show_default=True,
    help="Kopf liveness endpoint ('' to disable).",
)
@click.option(
    "--liveness-grace",
    "liveness_grace",
    type=click.FloatRange(min=1.0),
    default=60.0,
    show_default=True,
    envvar="NCC_OPERATOR_LIVENESS_GRACE_SECONDS",
    help="Seconds the Kubernetes API may be unreachable before liveness fails.",
)
@click.option("--verbose", is_flag=True, help="Log every reconcile (Kopf's verbose mode).")
@click.option(
    "--log-format",
    "log_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="NCC_OPERATOR_LOG_FORMAT",
    help="text: one line per record; json: one JSON object per line (for log pipelines).",
)
@click.option(
    "--leader-election",
    "leader_election",
    is_flag=True,
    envvar="NCC_OPERATOR_LEADER_ELECTION",
    help="Act only while holding a coordination.k8s.io Lease (several replicas: one acts).",
)
@click.option(
    "--leader-election-namespace",
    "lease_namespace",
    default="",
    envvar="NCC_OPERATOR_LEADER_ELECTION_NAMESPACE",
    help="Namespace of the Lease (the chart: the release namespace). Required with election.",
)
@click.option(
    "--leader-election-id",
    "lease_name",
    default="ncc-operator",
    show_default=True,
    envvar="NCC_OPERATOR_LEADER_ELECTION_ID",
    help="Name of the Lease: one per installation (sharded releases need different names).",
)
@click.option(
    "--lease-duration",
    "lease_seconds",
    type=click.IntRange(min=2, max=300),
    default=8,
    show_default=True,
    envvar="NCC_OPERATOR_LEASE_DURATION_SECONDS",
    help="Seconds a standby waits after the leader's last renewal before it takes over.",
)
def run(  # click passes every option by name
    *,
    namespaces: tuple[str, ...],
    liveness: str,
    liveness_grace: float,
    verbose: bool,
    log_format: str,
    leader_election: bool,
    lease_namespace: str,
    lease_name: str,
    lease_seconds: int,
) -> None:
    """Run the operator: alone, or with --leader-election as one of several replicas."""
    import asyncio  # noqa: PLC0415

    import kopf  # noqa: PLC0415

    from ncc_operator import logs  # noqa: PLC0415
    from ncc_operator.handlers import launch  # noqa: PLC0415

    if leader_election and not lease_namespace:
        raise click.UsageError("--leader-election needs --leader-election-namespace")
    settings = _settings()  # once, at start-up: what it runs with is what it was started with
    # Kopf's stream handler, its object prefix in text lines; then our format and levels.
    kopf.configure(verbose=verbose, log_prefix=True)
    logs.configure(log_format, verbose=verbose)
    election = (
        launch.Election(lease_namespace, lease_name, lease_seconds) if leader_election else None
    )
    asyncio.run(
        launch.run(
            settings=settings,
            namespaces=namespaces,
            liveness=liveness,
            grace=liveness_grace if liveness else None,  # None: no liveness, no API check
            election=election,
        )
    )


@main.command()
@click.option(
    "--account",
    "account",
    required=True,
    metavar="NAMESPACE/NAME",
    help="The DatabricksAccount whose NCCs and rules are exported.",
)
@click.option(
    "--manage",
    is_flag=True,
    help="managementPolicy: Manage (default ObserveOnly: the operator only reads).",
)
def export(account: str, manage: bool) -> None:
    """Print manifests for every NCC and private endpoint rule of an account, read from
    Databricks, ready to kubectl apply (adopted by externalId: no Databricks writes).

    Uses the current KUBECONFIG and the operator's NCC_OPERATOR_* settings (allowed hosts,
    tenancy), exactly as `run` does.
    """
    import asyncio  # noqa: PLC0415

    from ncc_operator import export as exporting  # noqa: PLC0415

    settings = _settings()
    try:
        text = asyncio.run(exporting.export(account, manage=manage, settings=settings))
    except exporting.ExportError as error:
        raise click.ClickException(str(error)) from None
    click.echo(text, nl=False)


def _settings() -> Settings:
    """The NCC_OPERATOR_* settings; a refused one is a usage error naming the variable and what
    is wrong with it (exit status 2), never a traceback."""
    import pydantic  # noqa: PLC0415

    from ncc_operator.settings import Settings  # noqa: PLC0415

    try:
        return Settings.from_env()
    except pydantic.ValidationError as error:
        parts = []
        for item in error.errors():
            field = ".".join(str(p) for p in item.get("loc", ()))
            name = f"NCC_OPERATOR_{field.upper()}" if field else "NCC_OPERATOR_* settings"
            parts.append(f"{name}: {item.get('msg')}")
        raise click.UsageError("; ".join(parts)) from None


def _register() -> None:
    # The developer tools (emulator, test environment, demo) are another distribution,
    # ncc-devtools: present in a checkout's virtualenv, absent where only the operator is
    # installed (the image, `pip install ncc-operator`). Imported here rather than at the top so
    # `ncc-operator --help` stays cheap.
    if importlib.util.find_spec("ncc_emulator") is None:
        return
    from ncc_emulator.cli import emulator  # noqa: PLC0415
    from ncc_testenv.cli import testenv  # noqa: PLC0415
    from ncc_testenv.demo import demo  # noqa: PLC0415

    main.add_command(emulator)
    main.add_command(testenv)
    main.add_command(demo)


_register()
