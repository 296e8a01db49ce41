"""``python -m ncc_operator`` is the ``ncc-operator`` command."""

from ncc_operator.cli import main

main()
