"""The state file: a JSON snapshot of the account written atomically after every mutation and
read back at start-up, so restarting the emulator keeps NCCs, rules, workspaces, credentials
(as digests), issued tokens (as digests) and the clock offset.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .auth import FederationPolicy, IssuedToken, Principal
from .models import Ncc, Rule, Workspace
from .settings import config_from_json

if TYPE_CHECKING:
    from .server import Emulator

FORMAT_VERSION = 1


def snapshot(emu: Emulator) -> dict[str, Any]:
    store, auth = emu.store, emu.auth
    return {
        "version": FORMAT_VERSION,
        "account_id": emu.account_id,
        "cloud": emu.cloud,
        "clock_offset_ms": emu.clock.offset_ms,
        "config": emu.config.to_json(),
        "nccs": [dataclasses.asdict(n) for n in store.nccs.values()],
        "rules": [dataclasses.asdict(r) for r in store.rules.values()],
        "workspaces": [dataclasses.asdict(w) for w in store.workspaces.values()],
        "missing_targets": sorted(store.missing_targets),
        "last_seq": store.last_seq,
        "principals": [dataclasses.asdict(p) for p in auth.principals.values()],
        "pats": auth.pats,
        "policies": [dataclasses.asdict(p) for p in auth.policies],
        "tokens": {k: dataclasses.asdict(t) for k, t in auth.tokens.items()},
    }


def restore(emu: Emulator, data: dict[str, Any]) -> None:
    if data.get("version") != FORMAT_VERSION or data.get("account_id") != emu.account_id:
        raise ValueError("state file belongs to another account or format version")
    emu.clock.offset_ms = int(data["clock_offset_ms"])
    emu.config.__dict__.update(config_from_json(data["config"], drop_retired=True).__dict__)
    store, auth = emu.store, emu.auth
    store.nccs = {n["network_connectivity_config_id"]: Ncc(**n) for n in data["nccs"]}
    store.rules = {r["rule_id"]: Rule(**r) for r in data["rules"]}
    store.workspaces = {w["workspace_id"]: Workspace(**w) for w in data["workspaces"]}
    store.missing_targets = set(data["missing_targets"])
    store.last_seq = int(data.get("last_seq", 0))
    store.resume_sequence()
    auth.principals = {p["client_id"]: Principal(**p) for p in data["principals"]}
    auth.pats = dict(data["pats"])
    auth.policies = [FederationPolicy(**p) for p in data["policies"]]
    auth.tokens = {k: IssuedToken(**t) for k, t in data["tokens"].items()}


def write_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write beside the target and rename, so a crash never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded
