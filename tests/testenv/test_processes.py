"""The one launcher (``ncc_testenv.processes``): own group, log file, identity, stop, no leaks.

Plain processes (python and sleep), no control plane: these run in a second.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ncc_testenv import processes

# A child that forks a grandchild into its own group, says both pids, and ignores SIGTERM when
# asked to: what a server with helpers that shuts down slowly (or never) looks like.
FAMILY = """
import os, signal, subprocess, sys, time
if sys.argv[1] == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
grandchild = subprocess.Popen(["sleep", "600"])
print(os.getpid(), grandchild.pid, flush=True)
print("to stderr", file=sys.stderr, flush=True)
time.sleep(600)
"""

# A parent that starts a sleeper through the launcher, reports its identity and then waits to
# be killed outright (no atexit, no finalizer runs on SIGKILL).
PARENT = """
import json, sys, time
from pathlib import Path
from ncc_testenv import processes
child = processes.start(["sleep", "600"], Path(sys.argv[1]), detached=sys.argv[2] == "detached")
print(json.dumps(child.id.to_json()), flush=True)
time.sleep(600)
"""


def _family(tmp_path: Path, mode: str) -> tuple[processes.Process, processes.ProcessId]:
    log = tmp_path / "family.log"
    child = processes.start([sys.executable, "-c", FAMILY, mode], log)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(log.read_text().split()) < 2:
        time.sleep(0.02)
    grandchild = processes.ProcessId.of(int(log.read_text().split()[1]))
    assert grandchild is not None
    return child, grandchild


def _gone_within(pid: processes.ProcessId, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid.alive():
            return True
        time.sleep(0.02)
    return False


def test_start_gives_a_session_of_its_own_and_a_log(tmp_path: Path) -> None:
    child, grandchild = _family(tmp_path, "polite")
    try:
        assert child.alive()
        assert child.id.alive()
        assert os.getpgid(child.pid) == child.pid, "not the leader of its own process group"
        assert os.getsid(child.pid) == child.pid, "not in a session of its own"
        assert os.getpgid(grandchild.pid) == child.pid, "the grandchild is not in its group"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "to stderr" not in child.log.read_text():
            time.sleep(0.02)
        assert "to stderr" in child.log.read_text(), "stderr is not in the log"
    finally:
        processes.stop(child, grace=1.0)


@pytest.mark.parametrize(
    ("mode", "sig", "at_least", "at_most"),
    [
        # SIGTERM is honoured: no need to wait for the grace period.
        pytest.param("polite", signal.SIGTERM, 0.0, 0.9, id="sigterm-honoured"),
        # SIGTERM ignored: the group is SIGKILLed once the grace period is over.
        pytest.param("stubborn", signal.SIGTERM, 1.0, 4.0, id="sigterm-ignored-then-sigkill"),
        # A caller asking for SIGKILL (a crash in a test) does not wait at all.
        pytest.param("stubborn", signal.SIGKILL, 0.0, 0.9, id="sigkill-at-once"),
    ],
)
def test_stop_ends_the_whole_group(
    tmp_path: Path, mode: str, sig: int, at_least: float, at_most: float
) -> None:
    child, grandchild = _family(tmp_path, mode)
    started = time.monotonic()
    processes.stop(child, sig=sig, grace=1.0)
    seconds = time.monotonic() - started
    assert child.poll() is not None, "the process still runs"
    assert _gone_within(grandchild, 2.0), "the grandchild in its group survived the stop"
    assert at_least <= seconds <= at_most, seconds


def test_a_recycled_pid_is_not_ours_and_never_signalled(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "600"], start_new_session=True)
    try:
        real = processes.ProcessId.of(stranger.pid)
        assert real is not None
        # What a state file says after the recorded process ended and the kernel gave its pid
        # to another program: same pid, other start time.
        recorded = processes.ProcessId(stranger.pid, real.create_time - 100.0)
        assert not recorded.alive()
        processes.stop(recorded, grace=0.5)
        assert stranger.poll() is None, "stop() signalled a process that was not ours"
        assert real.alive()
    finally:
        stranger.kill()
        stranger.wait()
    assert not real.alive(), "a process that ended (a zombie until reaped) still counts"


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param({"pid": 12, "create_time": 3.5}, processes.ProcessId(12, 3.5), id="ours"),
        # The demo's state file before the launcher: a start-time string of /proc/PID/stat.
        pytest.param({"pid": 12, "start": "4711"}, None, id="older-format"),
        pytest.param({"pid": "x", "create_time": 1.0}, None, id="garbage"),
    ],
)
def test_identity_records(record: dict[str, object], expected: processes.ProcessId | None) -> None:
    assert processes.ProcessId.from_json(record) == expected
    if expected is not None:
        assert processes.ProcessId.from_json(json.loads(json.dumps(expected.to_json()))) == expected


@pytest.mark.parametrize(
    ("mode", "survives"),
    [
        # Attached (tests, bench): PR_SET_PDEATHSIG takes it down with a SIGKILLed parent.
        pytest.param("attached", False, id="attached-dies-with-parent"),
        # Detached (testenv up, the demo): it outlives the command that started it.
        pytest.param("detached", True, id="detached-outlives-parent"),
    ],
)
def test_a_killed_parent(tmp_path: Path, mode: str, survives: bool) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "child.log"), mode],
        stdout=subprocess.PIPE,
        text=True,
    ) as parent:
        assert parent.stdout is not None
        child = processes.ProcessId.from_json(json.loads(parent.stdout.readline()))
        assert child is not None
        assert child.alive()
        parent.kill()
    try:
        assert _gone_within(child, 3.0) is not survives
    finally:
        processes.stop(child, grace=1.0)  # from another process, by its recorded identity
    assert _gone_within(child, 3.0)


def test_resource_figures_of_a_running_process() -> None:
    me = os.getpid()
    assert processes.cpu_seconds(me) > 0.0
    assert processes.peak_rss_bytes(me) > 1024 * 1024
