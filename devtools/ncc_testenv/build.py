"""Builds the control-plane binaries from the pinned Go modules into the cache.

Owns the build recipes (go build / go install command lines), the per-binary stamp files that make a
version bump rebuild, the lock that keeps two processes from building the same binary at once, and
promtool's fallback to Debian's ``prometheus`` package when the Go build fails.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ncc_testenv import versions

# Lean builds on a 2-core machine shared with other work: no VCS stamping, no debug info, no cgo.
_LDFLAGS = "-s -w"
_K8S_LDFLAGS = " ".join(
    [
        _LDFLAGS,
        # Without these the binaries report v0.0.0-master and kubectl warns about version skew.
        f"-X k8s.io/component-base/version.gitVersion={versions.KUBERNETES_VERSION}",
        "-X k8s.io/component-base/version.gitMajor=1",
        "-X k8s.io/component-base/version.gitMinor=" + versions.KUBERNETES_VERSION.split(".")[1],
        "-X k8s.io/component-base/version.gitTreeState=clean",
    ]
)
_PROMETHEUS_VERSION_VAR = "github.com/prometheus/common/version.Version"


class ToolError(RuntimeError):
    """A tool cannot be found or built; the message says how to get out of it."""


@dataclass(frozen=True)
class Recipe:
    """How to produce one binary: ``keys[0]`` goes into the stamp; any of ``keys`` is accepted."""

    name: str
    keys: tuple[str, ...]
    build: Callable[[Path, Path], None]  # (go binary, output path) -> None


def find_go() -> Path | None:
    """A Go toolchain new enough for the modules, or None."""
    candidates = [shutil.which("go"), "/usr/local/go/bin/go"]
    goroot = os.environ.get("GOROOT")
    if goroot:
        candidates.insert(0, str(Path(goroot) / "bin" / "go"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and _go_version_ok(Path(candidate)):
            return Path(candidate)
    return None


def _go_version_ok(go: Path) -> bool:
    try:
        out = subprocess.run(  # noqa: S603 - the go binary we located, argv list
            [str(go), "env", "GOVERSION"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    match = re.match(r"go(\d+)\.(\d+)", out.strip())
    if match is None:
        return False
    return (int(match[1]), int(match[2])) >= versions.MINIMUM_GO


def _go_env(go: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GOFLAGS="-buildvcs=false",
        CGO_ENABLED="0",
        GOWORK="off",
        GOTOOLCHAIN="local",  # never fetch another toolchain behind the user's back
        PATH=f"{go.parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run(  # noqa: S603 - fixed argv lists built in this module
        cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise ToolError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}) in {cwd}:\n{tail}")


def _module_key(module: str) -> str:
    """Hash of a wrapper module's go.mod + go.sum: a version bump there changes the stamp."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((versions.go_modules_dir() / module / name).read_bytes())
    return digest.hexdigest()[:16]


def _go_build(module: str, package: str, ldflags: str) -> Callable[[Path, Path], None]:
    def build(go: Path, out: Path) -> None:
        cwd = versions.go_modules_dir() / module
        cmd = [str(go), "build", "-trimpath", f"-ldflags={ldflags}", "-o", str(out), package]
        _run(cmd, cwd, _go_env(go))

    return build


def _go_install(package_at_version: str, ldflags: str = _LDFLAGS) -> Callable[[Path, Path], None]:
    def build(go: Path, out: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="ncc-gobin-") as gobin:
            env = _go_env(go) | {"GOBIN": gobin}
            cmd = [str(go), "install", "-trimpath", f"-ldflags={ldflags}", package_at_version]
            _run(cmd, Path(gobin), env)
            shutil.move(str(Path(gobin) / out.name.removesuffix(".tmp")), out)

    return build


def promtool_from_debian(out: Path) -> None:
    """Fallback: promtool from Debian's ``prometheus`` package, unpacked (no service installed)."""
    with tempfile.TemporaryDirectory(prefix="ncc-promtool-") as tmp:
        cmd = ["apt-get", "download", "prometheus"]
        first = subprocess.run(  # noqa: S603
            cmd, cwd=tmp, capture_output=True, text=True, check=False
        )
        if first.returncode != 0:
            # A fresh machine has no package lists yet; only root may refresh them.
            _run(["apt-get", "update", "-qq"], Path(tmp))
            _run(cmd, Path(tmp))
        deb = next(Path(tmp).glob("prometheus_*.deb"))
        _run(["dpkg", "-x", str(deb), "root"], Path(tmp))
        shutil.copy2(Path(tmp) / "root" / "usr" / "bin" / "promtool", out)


def recipes() -> dict[str, Recipe]:
    v = versions
    return {
        "kube-apiserver": Recipe(
            "kube-apiserver",
            (f"k8s {v.KUBERNETES_VERSION} mod {_module_key('kubernetes')}",),
            _go_build("kubernetes", "k8s.io/kubernetes/cmd/kube-apiserver", _K8S_LDFLAGS),
        ),
        "kubectl": Recipe(
            "kubectl",
            (f"k8s {v.KUBERNETES_VERSION} mod {_module_key('kubernetes')}",),
            _go_build("kubernetes", "k8s.io/kubernetes/cmd/kubectl", _K8S_LDFLAGS),
        ),
        "etcd": Recipe(
            "etcd",
            (f"etcd {v.ETCD_VERSION} mod {_module_key('etcd')}",),
            _go_build("etcd", "go.etcd.io/etcd/server/v3", _LDFLAGS),
        ),
        "helm": Recipe(
            "helm",
            (f"helm {v.HELM_VERSION}",),
            _go_install(
                f"helm.sh/helm/v3/cmd/helm@{v.HELM_VERSION}",
                # Otherwise `helm version` says only the minor ("v3.22").
                f"{_LDFLAGS} -X helm.sh/helm/v3/internal/version.version={v.HELM_VERSION}",
            ),
        ),
        "promtool": Recipe(
            "promtool",
            (f"promtool {v.PROMETHEUS_MODULE_VERSION}", "promtool debian"),
            _go_install(
                f"github.com/prometheus/prometheus/cmd/promtool@{v.PROMETHEUS_MODULE_VERSION}",
                f"{_LDFLAGS} -X {_PROMETHEUS_VERSION_VAR}={v.PROMETHEUS_VERSION}",
            ),
        ),
    }


def cached(recipe: Recipe) -> Path | None:
    """The cached binary if its stamp matches the recipe, else None."""
    path = versions.binaries_dir() / recipe.name
    stamp = path.with_name(f"{recipe.name}.stamp")
    if path.is_file() and stamp.is_file() and stamp.read_text().strip() in recipe.keys:
        return path
    return None


@contextmanager
def _lock(name: str) -> Iterator[None]:
    directory = versions.binaries_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / f".{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # another process may be building this very binary
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(recipe: Recipe, go: Path | None) -> tuple[Path, float]:
    """Build (or pick up a concurrent build of) one binary; returns (path, seconds spent)."""
    started = time.monotonic()
    with _lock(recipe.name):
        done = cached(recipe)
        if done is not None:
            return done, time.monotonic() - started
        path = versions.binaries_dir() / recipe.name
        tmp = path.with_name(f"{recipe.name}.tmp")
        key = recipe.keys[0]
        try:
            if go is None:
                raise ToolError(f"no Go >= {'.'.join(map(str, versions.MINIMUM_GO))} found")
            recipe.build(go, tmp)
        except ToolError:
            if recipe.name != "promtool":
                raise
            promtool_from_debian(tmp)
            key = "promtool debian"
        tmp.chmod(0o755)
        os.replace(tmp, path)  # atomic: a reader never sees half a binary
        path.with_name(f"{recipe.name}.stamp").write_text(key + "\n")
    return path, time.monotonic() - started
