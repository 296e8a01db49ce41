"""Import the parts of ``databricks-sdk`` the client uses without the package's ``__init__``.

``databricks/sdk/__init__.py`` imports every service module of the SDK (workspaces, jobs, ML,
...) to build ``WorkspaceClient`` and ``AccountClient``: about 53 MiB of a process whose only
use of the SDK is ``Config`` and its credential providers (measured: importing
``databricks.sdk.config`` takes RSS to 103 MiB, 50 MiB without the ``__init__``). So, before
anything of the SDK is imported, :func:`install` registers ``databricks.sdk`` as the package
itself, not yet executed (PEP 451 ``module_from_spec``), with a module ``__getattr__``
(PEP 562): its submodules (``config``, ``core``, ``oauth``, ``errors`` ...) import as usual, and
the first request for a name the ``__init__`` defines (``from databricks.sdk import
AccountClient``, as the fidelity tests do) runs the real ``__init__`` in that same module, so
every caller still gets the SDK it expects, only later.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any

PACKAGE = "databricks.sdk"


def install() -> None:
    """Register the lazy package unless the SDK is imported already (then nothing changes)."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not a regular package here: let the import system do what it does
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def __getattr__(name: str) -> Any:  # noqa: N807 - the PEP 562 hook's required name
        if not name.startswith("__") and importlib.util.find_spec(f"{PACKAGE}.{name}"):
            return importlib.import_module(f"{PACKAGE}.{name}")  # a submodule: no __init__
        if name.startswith("__"):
            raise AttributeError(name)
        # A name of the SDK's own __init__: run it now, once, in this module.
        del package.__dict__["__getattr__"]
        loader.exec_module(package)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[PACKAGE] = package
    parent: ModuleType | None = sys.modules.get("databricks")
    if parent is None:
        parent = importlib.import_module("databricks")
    parent.sdk = package  # type: ignore[attr-defined]


install()  # on import: ``ncc_operator.databricks`` imports this module before the SDK
