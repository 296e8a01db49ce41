"""The one resolver for every external binary the tests, bench and demo use.

``resolve(name)`` returns the path of kube-apiserver, etcd, kubectl, helm or promtool, in this
order: ``KUBEBUILDER_ASSETS`` (the envtest convention) if it holds the binary, then our cache (valid
stamp), then a build from the pinned Go modules. ``python -m ncc_testenv.tools ensure [NAME ...]``
builds or reuses them (default: all), with a line before each and where it is and how long it
took after.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ncc_testenv import build, versions
from ncc_testenv.build import ToolError

__all__ = ["ToolError", "ensure_all", "main", "resolve", "use_existing_cluster"]

NO_TOOLCHAIN_HELP = """\
cannot provide {name}: it is not in KUBEBUILDER_ASSETS, not cached in {cache}, and no Go toolchain
>= {go} was found to build it. Three ways out:
  1. install Go >= {go} (on PATH or at /usr/local/go/bin/go); the first run builds and caches it;
  2. set KUBEBUILDER_ASSETS to a directory holding kube-apiserver, etcd and kubectl
     (e.g. from `setup-envtest use -p path`);
  3. point KUBECONFIG at an existing cluster (kind, minikube, ...) and set
     NCC_TESTENV_USE_EXISTING_CLUSTER=1."""


@dataclass(frozen=True)
class Resolved:
    name: str
    path: Path
    source: str  # "KUBEBUILDER_ASSETS", "cache", "built" or "PATH"
    seconds: float


def use_existing_cluster() -> bool:
    return os.environ.get("NCC_TESTENV_USE_EXISTING_CLUSTER", "").lower() in {"1", "true", "yes"}


def _from_assets(name: str) -> Path | None:
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if not assets:
        return None
    path = Path(assets) / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def resolve_detailed(name: str) -> Resolved:
    if name not in versions.TOOL_NAMES:
        raise ValueError(f"unknown tool {name!r}; known: {', '.join(versions.TOOL_NAMES)}")
    started = time.monotonic()
    assets = _from_assets(name)
    if assets is not None:
        return Resolved(name, assets, "KUBEBUILDER_ASSETS", time.monotonic() - started)
    recipe = build.recipes()[name]
    hit = build.cached(recipe)
    if hit is not None:
        return Resolved(name, hit, "cache", time.monotonic() - started)
    go = build.find_go()
    if go is None and not (name == "promtool" and shutil.which("apt-get")):
        on_path = shutil.which(name)
        # Against somebody else's cluster any kubectl will do; our own control plane needs ours.
        if name == "kubectl" and on_path and use_existing_cluster():
            return Resolved(name, Path(on_path), "PATH", time.monotonic() - started)
        raise ToolError(
            NO_TOOLCHAIN_HELP.format(
                name=name,
                cache=versions.binaries_dir(),
                go=".".join(map(str, versions.MINIMUM_GO)),
            )
        )
    path, seconds = build.build(recipe, go)
    return Resolved(name, path, "built", seconds)


def resolve(name: str) -> Path:
    """Path of ``name`` (one of versions.TOOL_NAMES), building it on first use."""
    return resolve_detailed(name).path


def ensure_all(names: tuple[str, ...] = versions.TOOL_NAMES) -> list[Resolved]:
    """Build or reuse every tool, one build at a time (the machine has 2 cores)."""
    return [resolve_detailed(name) for name in names]


def main(argv: list[str] | None = None) -> int:
    """``ensure [NAME ...]`` (default: all) with a progress line per tool; ``path NAME``."""
    args = sys.argv[1:] if argv is None else argv
    names = tuple(args[1:]) or versions.TOOL_NAMES
    usage = "usage: python -m ncc_testenv.tools ensure [NAME ...] | path NAME\n"
    if not args or args[0] not in {"ensure", "path"} or (args[0] == "path" and len(args) != 2):
        sys.stderr.write(usage)
        return 2
    unknown = [n for n in names if n not in versions.TOOL_NAMES]
    if unknown:
        sys.stderr.write(f"unknown tool(s) {', '.join(unknown)}; known: {versions.TOOL_NAMES}\n")
        return 2
    try:
        if args[0] == "path":
            sys.stdout.write(f"{resolve(args[1])}\n")
            return 0
        started = time.monotonic()
        for name in names:
            # A cold build takes minutes (kube-apiserver ~10): say so before it starts.
            sys.stdout.write(f"{name:15} cached, or built from the pinned Go modules now ...\n")
            sys.stdout.flush()
            item = resolve_detailed(name)
            sys.stdout.write(f"{item.name:15} {item.source:18} {item.seconds:7.1f}s  {item.path}\n")
            sys.stdout.flush()
        sys.stdout.write(f"{'total':15} {'':18} {time.monotonic() - started:7.1f}s\n")
    except ToolError as error:
        sys.stderr.write(f"ncc_testenv.tools: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
