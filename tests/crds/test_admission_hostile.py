"""Hostile values refused by a real kube-apiserver with the rule quoted, borderline valid ones
accepted: the table of ``tests/models/hostile.py``, which the models pass too (same cases, same
messages), so admission and the operator's re-validation cannot drift apart."""

from __future__ import annotations

import pytest

from ncc_testenv.cluster import Cluster

from ..models.hostile import CASES, Case
from .conftest import manifest

pytestmark = pytest.mark.usefixtures("ncc_crds")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_admission_refuses_hostile_values(
    control_plane: Cluster, namespace: str, case: Case
) -> None:
    proc = control_plane.kubectl(
        "create", "--dry-run=server", "-n", namespace, "-f", "-",
        input=manifest(case.obj()), check=False,
    )  # fmt: skip
    if case.error is None:
        assert proc.returncode == 0, f"{case.reason}: {proc.stderr}"
        assert "(server dry run)" in proc.stdout, proc.stdout
    else:
        assert proc.returncode != 0, f"{case.reason}: accepted"
        assert case.error in proc.stderr, f"{case.reason}: {proc.stderr}"
