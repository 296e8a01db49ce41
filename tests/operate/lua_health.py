"""Running the ArgoCD health scripts in real Lua 5.1 (lupa), the way ArgoCD runs them.

ArgoCD (gopher-lua, Lua 5.1) sets the object as the global ``obj`` and reads ``status`` and
``message`` from the table the script returns; JSON arrays are 1-based Lua sequences. Only
the base, table, string and math libraries are left, as in ArgoCD's sandbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lupa import lua51

ROOT = Path(__file__).resolve().parents[2]
ARGOCD = ROOT / "argocd"
GROUP = "networking.ncc-operator.io"
KINDS = ("DatabricksAccount", "NetworkConnectivityConfig", "PrivateEndpointRule")
CUSTOMIZATIONS = ARGOCD / "resource_customizations" / GROUP


def kind_dir(kind: str) -> Path:
    return CUSTOMIZATIONS / kind


def _to_lua(runtime: Any, value: Any) -> Any:
    if isinstance(value, dict):
        return runtime.table_from({k: _to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([_to_lua(runtime, v) for v in value])
    return value


def health(script: str, obj: dict[str, Any]) -> tuple[str, str]:
    """(status, message) of ``script`` for ``obj``."""
    runtime = lua51.LuaRuntime(register_eval=False, register_builtins=False)
    sandbox = runtime.globals()
    for unsafe in ("os", "io", "debug", "package", "require", "dofile", "loadfile", "load"):
        sandbox[unsafe] = None
    sandbox.obj = _to_lua(runtime, obj)
    result = runtime.execute(script)
    return str(result["status"]), str(result["message"] or "")
