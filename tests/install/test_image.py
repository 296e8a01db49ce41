"""The image built by buildah from the repository's Dockerfile, run for real.

The operator runs from inside the image (``buildah run --isolation chroot``, host network) as the
image's non-root user, with the chart's args and env and only the chart ServiceAccount's token,
against the test control plane and the emulator; an account, an NCC and a rule reach Ready, its
probe and metrics endpoints answer, and afterwards no file outside /tmp of the container's root
filesystem has changed (so ``readOnlyRootFilesystem: true`` holds).
"""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ncc_emulator.testing import RunningEmulator
from tests.cluster.conftest import ROOT, Env
from tests.install.chart import Release, container, container_env
from tests.install.running import (
    IMAGE_USER,
    ChartOperator,
    buildah,
    changed,
    snapshot,
    working_container,
)
from tests.install.story import ACCOUNTS, NCCS, RULES, WORKSPACES, story_values

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def inspect(image: str) -> dict[str, Any]:
    out = subprocess.run(
        [*buildah(), "inspect", "--type", "image", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out)["OCIv1"]["config"])


def test_image_metadata(image: str) -> None:
    config = inspect(image)
    assert config["User"] == IMAGE_USER
    assert (config["Entrypoint"], config["Cmd"]) == (["ncc-operator"], ["run"])
    labels = config["Labels"]
    assert labels["org.opencontainers.image.version"] == PROJECT["version"]
    assert labels["org.opencontainers.image.licenses"] == PROJECT["license"]["text"]
    assert "org.opencontainers.image.source" in labels


def test_nothing_in_the_image_belongs_to_its_user(image: str) -> None:
    """Every file is root's: the UID the operator runs as can write nowhere but /tmp."""
    with working_container(image) as (_, root):
        owned = [
            "/" + str(Path(d, f).relative_to(root))
            for d, dirs, files in os.walk(root)
            for f in (*dirs, *files)
            if Path(d, f).lstat().st_uid == 65532
        ]
    assert owned == []


def healthz_and_metrics(env: dict[str, str], args: list[str]) -> tuple[int, str]:
    liveness = next(a.split("=", 1)[1] for a in args if a.startswith("--liveness="))
    health = httpx.get(liveness.replace("0.0.0.0", "127.0.0.1"), timeout=10)  # noqa: S104
    metrics = httpx.get(f"http://127.0.0.1:{env['NCC_OPERATOR_METRICS_PORT']}/metrics", timeout=10)
    return health.status_code, metrics.text


@pytest.mark.timeout(300)
def test_operator_from_the_image_reaches_ready(
    image: str,
    release_factory: Callable[[dict[str, Any]], Release],
    more_namespaces: Callable[[], str],
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> None:
    watched = more_namespaces()
    release = release_factory(story_values([watched]))
    identity = release.identity(tmp_path)
    os.chown(identity.kubeconfig, 65532, 65532)  # readable by the image's user only
    emulator = emulator_factory(cloud="azure", workspaces=WORKSPACES)
    env_vars, args = container_env(release.manifests), list(container(release.manifests)["args"])
    with working_container(image) as (name, root):
        # What buildah itself changes for any command (mount points it makes and removes):
        # measured, so that only the operator's own writes are judged.
        untouched = snapshot(root)
        subprocess.run(
            [*buildah(), "run", "--isolation", "chroot", "--user", IMAGE_USER, name, "--", "true"],
            check=True,
        )
        before = snapshot(root)
        by_buildah = changed(untouched, before)
        operator = ChartOperator(
            identity, watched, tmp_path / "operator.log", env=env_vars, args=args, container=name
        )
        operator.start()
        env = Env(release.admin, watched, emulator, operator)
        try:
            env.account()
            env.wait_reason(ACCOUNTS, "main", "Available")
            env.ncc("prod", extra="  workspaceIds: [1111]\n")
            env.wait_reason(NCCS, "prod", "Available")
            env.azure_rule("blob")
            env.wait_reason(RULES, "blob", "AwaitingApproval")
            emulator.admin.approve(env.rule_id("blob"))
            env.wait_reason(RULES, "blob", "Established")
            status, metrics = healthz_and_metrics(env_vars, args)
        finally:
            operator.stop()
        after = snapshot(root)
    assert status == 200, operator.logs()[-3000:]
    assert "ncc_operator_reconcile_total" in metrics
    written = changed(before, after) - by_buildah
    outside_tmp = sorted(p for p in written if not (p + "/").startswith("/tmp/"))  # noqa: S108
    assert outside_tmp == [], f"written outside /tmp (buildah alone: {sorted(by_buildah)})"
