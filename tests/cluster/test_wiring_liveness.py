"""Liveness that means something: ``/healthz`` fails while the operator cannot reach Kubernetes.

The shared control plane must stay up for other tests, so this operator talks to it through a
TCP relay on its own loopback port (its kubeconfig names the relay; TLS passes through, the
apiserver certificate is valid for 127.0.0.1 on any port). Closing the relay is an outage as the
operator sees it: connections refused, open watch streams cut. Reopening it ends the outage.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from ncc_testenv import processes
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import FAST_ENV, ROOT, free_port

GRACE_SECONDS = 3
KOPF_PROBE_CACHE_SECONDS = 10  # kopf/_core/engines/probing.py: successful results are reused


class Relay:
    """Forwards 127.0.0.1:<port> to the apiserver; ``close`` refuses and cuts everything."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay(crds: Cluster) -> Iterator[Relay]:
    parts = urlsplit(crds.server)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 443))
    relay.open()
    try:
        yield relay
    finally:
        relay.close()


def relayed_kubeconfig(cluster: Cluster, relay: Relay, path: Path) -> Path:
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    for entry in config.get("clusters") or []:
        entry["cluster"]["server"] = f"https://127.0.0.1:{relay.port}"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def liveness_url(
    crds: Cluster, namespace: str, relay: Relay, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """An operator behind the relay, serving liveness on its own port; yields (url, log)."""
    url = f"http://127.0.0.1:{free_port()}/healthz"
    kubeconfig = relayed_kubeconfig(crds, relay, tmp_path / "relayed.kubeconfig")
    log = tmp_path / "operator.log"
    env = {**crds.env, **FAST_ENV, "KUBECONFIG": str(kubeconfig)}
    process = processes.start(  # our own CLI
        [sys.executable, "-m", "ncc_operator", "run", "--namespace", namespace,
         "--liveness", url, "--liveness-grace", str(GRACE_SECONDS)],
        log, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        yield url, log
    finally:
        processes.stop(process, grace=20)


def status_of(url: str) -> int:
    try:
        return httpx.get(url, timeout=5).status_code
    except httpx.HTTPError:
        return 0  # not serving at all (yet): neither healthy nor an answer


def wait_status(url: str, log: Path, want: bool, *, timeout: float) -> float:
    """Seconds until /healthz is (want=True) 200 or (want=False) answers non-200."""
    started = time.monotonic()
    last = 0
    while time.monotonic() - started < timeout:
        last = status_of(url)
        if (last == 200) == want and last != 0:
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(
        f"/healthz stayed {last} for {timeout} s (wanted {'200' if want else 'non-200'});"
        f" operator log tail:\n{log.read_text(errors='replace')[-3000:]}"
    )


def test_liveness_fails_while_kubernetes_is_unreachable_and_recovers(
    liveness_url: tuple[str, Path], relay: Relay
) -> None:
    url, log = liveness_url
    wait_status(url, log, True, timeout=30)
    report = httpx.get(url, timeout=5).json()
    assert report.get("kubernetes-api", {}).get("reachable") is True, json.dumps(report)

    relay.close()
    # Detection: the grace period, plus one cached probe result, plus the API check's own pace.
    wait_status(url, log, False, timeout=GRACE_SECONDS + KOPF_PROBE_CACHE_SECONDS + 15)

    relay.open()
    wait_status(url, log, True, timeout=KOPF_PROBE_CACHE_SECONDS + 15)
    report = httpx.get(url, timeout=5).json()
    assert report["kubernetes-api"]["reachable"] is True, json.dumps(report)
