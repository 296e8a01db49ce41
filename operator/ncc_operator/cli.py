"""The ``ncc-operator`` command line: one click group, sub-commands imported lazily.

Sub-commands live with what they drive (the emulator, the test environment, the operator) so that
``ncc-operator emulator`` never pays for importing Kopf, and the emulator stays independent code.
"""

from __future__ import annotations

import click


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
def run(namespaces: tuple[str, ...], liveness: str, liveness_grace: float, verbose: bool) -> None:
    """Run the operator (standalone: one replica, no Kopf peering objects needed)."""
    import asyncio  # noqa: PLC0415

    import kopf  # noqa: PLC0415

    import ncc_operator.handlers  # noqa: PLC0415  (registers the handlers)

    kopf.configure(verbose=verbose)
    # The grace reaches the start-up handler through Kopf's memo; None: no liveness, no check.
    grace = liveness_grace if liveness else None
    asyncio.run(
        kopf.operator(
            standalone=True,
            clusterwide=not namespaces,
            namespaces=namespaces,
            liveness_endpoint=liveness or None,
            memo=kopf.Memo({ncc_operator.handlers.probes.GRACE_KEY: grace}),
        )
    )


def _register() -> None:
    # Imported here rather than at the top so `ncc-operator --help` stays cheap; the emulator and
    # the test environment are independent packages with their own click commands.
    from ncc_emulator.cli import emulator  # noqa: PLC0415
    from ncc_operator.demo import demo  # noqa: PLC0415
    from ncc_testenv.cli import testenv  # noqa: PLC0415

    main.add_command(emulator)
    main.add_command(testenv)
    main.add_command(demo)


_register()
