"""``python -m bench``: one run, every phase, ratios against a baseline and a floor of the same run.

Order: the Terraform-style SDK baseline on a fresh emulator, then the operator on another fresh
emulator with the same latency, rate limit and CREATING period (apply → Ready, idle, restart).
Writes ``bench/results/<timestamp>.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

from .baseline import BaselineResult, run_baseline
from .operator_run import OperatorBench
from .params import Params
from .procs import start_emulator
from .report import conditions, document, table, write

RESULTS = Path(__file__).resolve().parent / "results"
REALISTIC_CREATING_SECONDS = 180.0
"""Databricks: CREATING typically lasts a few minutes (Terraform PF resource; #4559, #5292)."""


def parse(argv: list[str]) -> tuple[Params, bool]:
    """The run's parameters, and whether to run the SDK baseline."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="N=20, M=2, short waits (< 2 min)")
    size.add_argument("--full", action="store_true", help="N=1000, M=10 (the DESIGN §6 size)")
    parser.add_argument("--rules", type=int, help="N PrivateEndpointRules (default 200)")
    parser.add_argument("--nccs", type=int, help="M NCCs (default 4)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--create-latency-ms", type=float, default=300.0)
    parser.add_argument("--rate-limit", type=float, default=20.0, help="server-side rps")
    parser.add_argument("--creating-seconds", type=float, help="time in CREATING (default 2)")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="CREATING lasts 180 s: 'a few minutes' at Databricks (emulator --profile realistic)",
    )
    parser.add_argument("--client-rps", type=float, help="account spec.rateLimit (default: R)")
    parser.add_argument("--resync-seconds", type=float, help="operator resync (default 10)")
    parser.add_argument("--fast-seconds", type=float, default=1.0)
    parser.add_argument("--idle-resyncs", type=int, help="K resync periods idle (default 3)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the SDK baseline")
    args = parser.parse_args(argv)
    rules, nccs, resync, idle, quiet = 200, 4, 10.0, 3, 4.0
    if args.quick:
        rules, nccs, resync, idle, quiet = 20, 2, 5.0, 2, 3.0
    elif args.full:
        rules, nccs = 1000, 10
    params = Params(
        rules=args.rules or rules,
        nccs=args.nccs or nccs,
        latency_ms=args.latency_ms,
        create_latency_ms=args.create_latency_ms,
        rate_limit=args.rate_limit,
        creating_seconds=args.creating_seconds
        or (REALISTIC_CREATING_SECONDS if args.realistic else 2.0),
        client_rps=args.client_rps,
        resync_seconds=args.resync_seconds or resync,
        fast_seconds=args.fast_seconds,
        idle_resyncs=args.idle_resyncs or idle,
        quiet_seconds=quiet,
    )
    if params.nccs < 1 or params.rules < 1:
        parser.error("--rules and --nccs must be >= 1")
    return params, not args.no_baseline


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`: children are stopped


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    params, with_baseline = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    command = shlex.join([".venv/bin/python", "-m", "bench", *argv])
    started = conditions()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ncc-bench-") as tmp:
        workdir = Path(tmp)
        baseline: BaselineResult | None = None
        if with_baseline:
            print(f"baseline: {params.rules} rules over {params.nccs} NCCs ...", flush=True)
            emulator = start_emulator(params, workdir, "baseline")
            try:
                baseline = run_baseline(params, emulator)
            finally:
                emulator.stop()
            print(f"baseline: {baseline.seconds:.1f} s", flush=True)
        print("operator: control plane, apply, idle, restart ...", flush=True)
        emulator = start_emulator(params, workdir, "operator")
        try:
            result = OperatorBench(params, emulator, workdir).run()
        finally:
            emulator.stop()
    doc = document(params, command, baseline, result, started)
    doc["wall_seconds"] = round(time.monotonic() - began, 1)
    path = write(doc, RESULTS)
    print()
    print(table(doc))
    print(f"\n{path.relative_to(RESULTS.parent.parent)} ({doc['wall_seconds']:.0f} s wall)")
    return 1 if result.errors and not result.ready_seconds else 0
