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


def _register() -> None:
    # Imported here rather than at the top so `ncc-operator --help` stays cheap; the emulator and
    # the test environment are independent packages with their own click commands.
    from ncc_emulator.cli import emulator  # noqa: PLC0415
    from ncc_testenv.cli import testenv  # noqa: PLC0415

    main.add_command(emulator)
    main.add_command(testenv)


_register()
