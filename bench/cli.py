"""``python -m bench``: one run, every phase, ratios against baselines and a floor of the same run.

Per size: the Terraform provider's request pattern on fresh emulators (at the Go SDK's 15 req/s
and at the operator's client rate), then the operator on another fresh emulator with the same
latency, rate limit and CREATING period (apply → Ready, idle, restart). ``--scale`` runs two sizes
side by side, so per-object costs can be compared within one run. Writes
``bench/results/<timestamp>.json`` (schema: bench/README.md) and prints a markdown table.
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

from . import transitions
from .baseline import run_polling_baseline, run_terraform_baselines
from .operator_run import OperatorBench
from .params import Params
from .procs import start_emulator
from .report import SizeRun, conditions, document, table, write

RESULTS = Path(__file__).resolve().parent / "results"
REALISTIC_CREATING_SECONDS = 180.0
"""Databricks: CREATING typically lasts a few minutes (Terraform PF resource; #4559, #5292)."""
BASELINE_MAX_RULES = 1000
"""Sizes above this skip the Terraform baselines (5,000 rules at 15 req/s: 11 minutes each)."""


def parse(argv: list[str]) -> tuple[list[Params], argparse.Namespace]:
    """The sizes to run (one, or two for ``--scale``) and the remaining options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="N=20, M=2, resync 20 s / fast 2 s (< 3 min)"
    )
    size.add_argument("--full", action="store_true", help="N=1000, M=10 (the DESIGN §6 size)")
    size.add_argument(
        "--scale",
        action="store_true",
        help="N=1000/M=10 and N=5000/M=50, both over 5 regions, side by side",
    )
    parser.add_argument("--rules", type=int, help="N PrivateEndpointRules (default 200)")
    parser.add_argument("--nccs", type=int, help="M NCCs (default 4)")
    parser.add_argument("--regions", type=int, help="spread NCCs over this many AWS regions")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--create-latency-ms", type=float, default=300.0)
    parser.add_argument("--rate-limit", type=float, default=20.0, help="server-side rps")
    parser.add_argument("--creating-seconds", type=float, help="time in CREATING (default 2)")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="CREATING lasts 180 s: 'a few minutes' at Databricks (emulator --profile realistic)",
    )
    parser.add_argument(
        "--transitions",
        action="store_true",
        help="realistic transitions: CREATING 60-180 s per rule, owner approval 0-120 s later "
        "at random; reports ESTABLISHED -> Ready per rule (bench/transitions.py)",
    )
    parser.add_argument("--client-rps", type=float, help="account spec.rateLimit (default: R)")
    parser.add_argument(
        "--resync-seconds", type=float, help="operator resync (default: the operator's, 300)"
    )
    parser.add_argument(
        "--fast-seconds", type=float, help="operator fast interval (default: the operator's, 10)"
    )
    parser.add_argument("--idle-resyncs", type=int, help="K resync periods idle (default 2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baselines")
    parser.add_argument(
        "--polling-baseline",
        action="store_true",
        help="also run the old SDK polling client (polls each rule every second; not Terraform)",
    )
    args = parser.parse_args(argv)
    sizes, regions = [(200, 4)], 1
    resync, fast, idle = args.resync_seconds, args.fast_seconds, args.idle_resyncs or 2
    if args.quick:
        sizes = [(20, 2)]
        resync, fast = resync or 20.0, fast or 2.0
    elif args.full:
        sizes = [(1000, 10)]
    elif args.scale:
        sizes, regions = [(1000, 10), (5000, 50)], 5
    if args.rules or args.nccs:
        sizes = [(args.rules or sizes[0][0], args.nccs or sizes[0][1])]
    runs = [
        Params(
            rules=rules,
            nccs=nccs,
            regions=args.regions or regions,
            latency_ms=args.latency_ms,
            create_latency_ms=args.create_latency_ms,
            rate_limit=args.rate_limit,
            creating_seconds=args.creating_seconds
            or (transitions.CREATING_SECONDS if args.transitions else None)
            or (REALISTIC_CREATING_SECONDS if args.realistic else 2.0),
            creating_jitter_seconds=transitions.CREATING_JITTER_SECONDS if args.transitions else 0,
            approval_max_seconds=transitions.APPROVAL_MAX_SECONDS if args.transitions else None,
            client_rps=args.client_rps,
            resync_override=resync,
            fast_override=fast,
            idle_resyncs=idle,
        )
        for rules, nccs in sizes
    ]
    if any(p.nccs < 1 or p.rules < 1 for p in runs):
        parser.error("--rules and --nccs must be >= 1")
    return runs, args


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`: children are stopped


def run_size(params: Params, args: argparse.Namespace, workdir: Path) -> SizeRun:
    label = f"N={params.rules}, M={params.nccs}"
    run = SizeRun(params)
    # The baselines model auto-accepting services: with owner approvals they do not apply.
    baselines = params.approval_max_seconds is None and params.rules <= BASELINE_MAX_RULES
    if not args.no_baseline and baselines:
        print(f"{label}: Terraform provider pattern at 15 rps and {params.operator_rps:g} rps")
        run.terraform = run_terraform_baselines(params, workdir)
        for tf in run.terraform:
            print(f"  {tf.client_rps:g} rps: all ESTABLISHED after {tf.established_seconds} s")
    if args.polling_baseline:
        emulator = start_emulator(params, workdir, f"polling-{params.rules}")
        try:
            run.polling = run_polling_baseline(params, emulator)
        finally:
            emulator.stop()
    print(f"{label}: operator: control plane, apply, idle, restart ...", flush=True)
    emulator = start_emulator(params, workdir, f"operator-{params.rules}")
    try:
        run.operator = OperatorBench(params, emulator, workdir / f"operator-{params.rules}").run()
    finally:
        emulator.stop()
    return run


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    sizes, args = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    command = shlex.join([".venv/bin/python", "-m", "bench", *argv])
    started = conditions()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ncc-bench-") as tmp:
        workdir = Path(tmp)
        runs = []
        for params in sizes:
            (workdir / f"operator-{params.rules}").mkdir()
            runs.append(run_size(params, args, workdir))
    doc = document(command, runs, started)
    doc["wall_seconds"] = round(time.monotonic() - began, 1)
    path = write(doc, RESULTS)
    print()
    print(table(doc))
    print(f"\n{path.relative_to(RESULTS.parent.parent)} ({doc['wall_seconds']:.0f} s wall)")
    failed = [r for r in runs if r.operator is None or not r.operator.ready_seconds]
    return 1 if failed else 0
