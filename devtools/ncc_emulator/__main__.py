"""``python -m ncc_emulator``: the same command as ``ncc-operator emulator``."""

from ncc_emulator.cli import emulator

if __name__ == "__main__":
    emulator(prog_name="ncc-emulator")
