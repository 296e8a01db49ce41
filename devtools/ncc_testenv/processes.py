"""Child-process plumbing that guarantees nothing is leaked.

Every server runs in its own process group (so a stop reaches anything it forked). When attached to
the current process it also gets PR_SET_PDEATHSIG=SIGKILL, so even a hard kill of pytest (a timeout
with os._exit, SIGKILL) takes the servers down; an atexit hook stops whatever is still registered.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_registry: dict[int, Callable[[], object]] = {}


def _die_with_parent() -> None:
    # Runs in the child between fork and exec; the kernel kills it when its parent thread exits.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn(argv: list[str], log: Path, *, detached: bool) -> subprocess.Popen[bytes]:
    """Start argv in a new process group with stdout+stderr appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - argv of our own resolved binaries
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own session and process group: killpg reaches the whole tree
            preexec_fn=None if detached else _die_with_parent,  # noqa: PLW1509 - no threads forked
            close_fds=True,
        )


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # pid == pgid: each server leads its own group


def _reap(pid: int) -> None:
    # Not our child when detached and reparented: then init reaps it.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def terminate(pids: list[int], grace: float = 5.0) -> None:
    """SIGTERM each group, wait up to ``grace`` seconds, then SIGKILL what is left."""
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    pending = list(pids)
    while pending and time.monotonic() < deadline:
        for pid in pending:
            _reap(pid)
        pending = [pid for pid in pending if alive(pid)]
        if pending:
            time.sleep(0.02)
    for pid in pids:
        _signal_group(pid, signal.SIGKILL)  # also reaches grandchildren left in the group
    for pid in pending:
        while alive(pid):
            _reap(pid)
            time.sleep(0.01)


def register(key: int, stop: Callable[[], object]) -> None:
    _registry[key] = stop


def unregister(key: int) -> None:
    _registry.pop(key, None)


@atexit.register
def _stop_everything() -> None:
    for stop in list(_registry.values()):
        stop()
    _registry.clear()


def run_quiet(argv: list[str], timeout: float = 10.0) -> str:
    """stdout of a short command (stripped), or "" if it fails."""
    try:
        proc = subprocess.run(  # noqa: S603 - argv of our own resolved binaries
            argv, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""
