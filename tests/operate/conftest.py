"""The cluster harness of tests/cluster (apiserver, emulator, operator process), reused here."""

from tests.cluster.conftest import crds, env

__all__ = ["crds", "env"]
