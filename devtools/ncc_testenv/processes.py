"""The one launcher: how the developer tools start, recognise and stop their child processes.

The control plane, the demo, the benchmark and the cluster tests start etcd, kube-apiserver, the
emulator and the operator here and nowhere else:

- :func:`start` runs argv in its own session and process group (so a stop reaches anything it
  forked), stdout and stderr appended to a log file. An *attached* process (the default) also gets
  PR_SET_PDEATHSIG=SIGKILL, so even a hard kill of its parent (a pytest timeout with os._exit, a
  SIGKILL) takes it down, and an atexit hook stops whatever attached process still runs. A
  *detached* one (``testenv up``, the demo) outlives the command that started it.
- :class:`ProcessId` is a process's identity: its pid *and* the kernel's start time (psutil's
  ``create_time``). A detached process is found again from that record, and a pid the kernel has
  since given to another program never matches, so it is never signalled.
- :func:`stop` sends a signal (SIGTERM by default) to the group, waits, then SIGKILLs the group.

Only :func:`peak_rss_bytes` reads ``/proc`` itself: psutil has no high-water mark on Linux.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil  # type: ignore[import-untyped]  # psutil ships no type information

_PR_SET_PDEATHSIG = 1
# Resolved now, not between fork and exec: a symbol lookup in the child of a threaded parent
# (the benchmark's watch threads) could deadlock on a lock another thread held at fork time.
_prctl = ctypes.CDLL(None, use_errno=True).prctl
_KILL_WAIT = 10.0
"""How long a SIGKILLed group may take to be gone (it cannot refuse; this only bounds the wait)."""

_registry: dict[int, Callable[[], object]] = {}


def _die_with_parent() -> None:
    # Runs in the child between fork and exec; the kernel kills it when its parent thread exits.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass(frozen=True)
class ProcessId:
    """Who a process is: its pid and its start time, which a recycled pid does not share."""

    pid: int
    create_time: float

    @classmethod
    def of(cls, pid: int) -> ProcessId | None:
        """The identity of the process now running as ``pid``; None when there is none."""
        try:
            return cls(pid, float(psutil.Process(pid).create_time()))
        except psutil.Error:
            return None

    def alive(self) -> bool:
        """True while this very process runs (a zombie, or another program on the pid, is not)."""
        try:
            proc = psutil.Process(self.pid)
            same = float(proc.create_time()) == self.create_time
            return same and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "create_time": self.create_time}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProcessId | None:
        """The identity in a state file; None for a record this version did not write."""
        try:
            return cls(int(data["pid"]), float(data["create_time"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class Process:
    """A process :func:`start` launched: its identity, its log and our handle on it."""

    id: ProcessId
    log: Path
    popen: subprocess.Popen[bytes] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.id.pid

    @property
    def stdin(self) -> IO[bytes] | None:
        return self.popen.stdin

    @property
    def stdout(self) -> IO[bytes] | None:
        return self.popen.stdout

    def poll(self) -> int | None:
        """Its exit status once it has ended (as :meth:`subprocess.Popen.poll`), else None."""
        return self.popen.poll()

    def alive(self) -> bool:
        return self.poll() is None

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for it to end; True if it did."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True


def start(
    argv: list[str],
    log: Path,
    *,
    detached: bool = False,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    pipes: bool = False,
) -> Process:
    """Start argv in a new session and process group, stdout and stderr appended to ``log``.

    ``detached`` processes outlive this Python process; attached ones die with it (and with the
    thread that called this). With ``pipes``, stdin and stdout are pipes to us (a child that
    answers on stdout and runs until its stdin closes); stderr still goes to ``log``.
    """
    with log.open("ab") as out:
        popen = subprocess.Popen(  # noqa: S603 - argv of our own CLIs and resolved binaries
            argv,
            stdin=subprocess.PIPE if pipes else subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipes else out,
            stderr=out,
            env=None if env is None else dict(env),
            cwd=cwd,
            start_new_session=True,  # own session and process group: killpg reaches the tree
            preexec_fn=None if detached else _die_with_parent,  # noqa: PLW1509 - see _prctl
            close_fds=True,
        )
    # A child that already exited is still a zombie until we reap it, so this finds it.
    process = Process(ProcessId.of(popen.pid) or ProcessId(popen.pid, 0.0), log, popen)
    if not detached:
        register(id(process), lambda: stop(process))
    return process


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # pid == pgid: each process we start leads its own group


def _reap(pid: int) -> None:
    # A detached process is our child only until we exit (then init reaps it); a zombie child
    # of ours would otherwise stay until we exit.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _wait_gone(target: Process | ProcessId, timeout: float) -> bool:
    if isinstance(target, Process):
        return target.wait(timeout)
    deadline = time.monotonic() + timeout
    while True:
        _reap(target.pid)
        if not target.alive():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def stop(target: Process | ProcessId, *, sig: int = signal.SIGTERM, grace: float = 5.0) -> None:
    """Send ``sig`` to the group, wait up to ``grace`` seconds, then SIGKILL the group.

    A :class:`ProcessId` that no longer names a running process (it ended, or its pid was
    recycled) is left alone. For a :class:`Process` the final SIGKILL goes out even when the
    leader has ended, for anything it left behind in its group.
    """
    if isinstance(target, ProcessId) and not target.alive():
        return
    pid = target.pid
    _signal_group(pid, sig)
    if sig != signal.SIGKILL:
        _wait_gone(target, grace)
    _signal_group(pid, signal.SIGKILL)  # also reaches grandchildren left in the group
    _wait_gone(target, _KILL_WAIT)
    if isinstance(target, Process):
        unregister(id(target))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user) + float(times.system)


def peak_rss_bytes(pid: int) -> int:
    """Peak resident set size of ``pid`` (the kernel's VmHWM), in bytes; 0 when not reported."""
    # psutil reports the current RSS only; the high-water mark is in /proc/PID/status.
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # "VmHWM:  123456 kB"
    return 0


def register(key: int, stop: Callable[[], object]) -> None:
    """Run ``stop`` at interpreter exit unless :func:`unregister` is called first."""
    _registry[key] = stop


def unregister(key: int) -> None:
    _registry.pop(key, None)


@atexit.register
def _stop_everything() -> None:
    for stop_one in list(_registry.values()):
        stop_one()
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
