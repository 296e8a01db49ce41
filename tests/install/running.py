"""The operator run exactly as the chart's Deployment runs it: its args and env, from the host's
virtualenv or from inside the image (``buildah run``, as the image's non-root user).

:class:`ChartOperator` is the cluster suite's :class:`~tests.cluster.conftest.Operator` (same
stop/restart/logs, so :class:`~tests.cluster.conftest.Env` helpers work) with the argv and env
taken from a rendered Deployment instead of built here: what is tested is what the chart ships.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.cluster.conftest import Operator

IMAGE_USER = "65532:65532"
IMAGE_KUBECONFIG = "/tmp/kubeconfig"  # noqa: S108 - a path inside the container: /tmp is its only writable place


def buildah() -> list[str]:
    return ["buildah", "--storage-driver", os.environ.get("BUILDAH_STORAGE_DRIVER", "vfs")]


@dataclass
class ChartOperator(Operator):
    """The operator with the chart's container ``args`` and ``env`` (in the image if
    ``container`` names a working container)."""

    container: str | None = None

    def command(self) -> tuple[list[str], dict[str, str]]:
        # Only the chart's environment and the ServiceAccount kubeconfig: no admin credentials.
        base = {
            k: v for k, v in os.environ.items() if k != "KUBECONFIG" and not k.startswith("NCC_")
        }
        if self.container is None:
            argv = [sys.executable, "-m", "ncc_operator", *self.args]
            return argv, {**base, **self.env, "KUBECONFIG": str(self.cluster.kubeconfig)}
        argv = [
            *buildah(),
            "run",
            "--isolation",
            "chroot",
            "--user",
            IMAGE_USER,
            "--volume",
            f"{self.cluster.kubeconfig}:{IMAGE_KUBECONFIG}:ro",
            *[arg for k, v in self.env.items() for arg in ("--env", f"{k}={v}")],
            "--env",
            f"KUBECONFIG={IMAGE_KUBECONFIG}",
            self.container,
            "--",
            "ncc-operator",
            *self.args,
        ]
        return argv, base


@contextmanager
def working_container(image: str) -> Iterator[tuple[str, Path]]:
    """A fresh working container of ``image`` and the host path of its root filesystem."""
    name = subprocess.run(
        [*buildah(), "from", "--pull-never", image], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        root = subprocess.run(
            [*buildah(), "mount", name], capture_output=True, text=True, check=True
        ).stdout.strip()
        yield name, Path(root)
    finally:
        subprocess.run([*buildah(), "rm", name], capture_output=True, check=False)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every file and directory under ``root``, keyed by container path."""
    seen: dict[str, tuple[int, int]] = {}
    for directory, dirs, files in os.walk(root):
        for entry in (*dirs, *files):
            path = Path(directory) / entry
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue
            seen["/" + str(path.relative_to(root))] = (stat.st_mtime_ns, stat.st_size)
    return seen


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
