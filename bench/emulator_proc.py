"""Child-process entry: run one emulator until stdin closes.

``python -m bench.emulator_proc '{"cloud": ..., "workspaces": [...], "config": {...},
"client_secret": ...}'`` prints one JSON line (base URL, account id, client id) and serves until
its parent closes stdin (or dies: the parent set PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import json
import sys

from ncc_emulator.testing import start_emulator


def main(argv: list[str]) -> None:
    spec = json.loads(argv[0])
    running, stop = start_emulator(
        spec["cloud"],
        workspaces=[(int(w), str(r)) for w, r in spec["workspaces"]],
        config=spec["config"],
        client_secret=spec["client_secret"],
    )
    info = {
        "base_url": running.base_url,
        "account_id": running.account_id,
        "client_id": running.client_id,
    }
    print(json.dumps(info), flush=True)
    try:
        sys.stdin.read()
    finally:
        stop()


if __name__ == "__main__":
    main(sys.argv[1:])
