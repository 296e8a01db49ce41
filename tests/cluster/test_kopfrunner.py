"""Our handlers run in-process by Kopf's ``KopfRunner``, against the real control plane.

The other cluster tests run the operator as a subprocess (``ncc-operator run``); this one runs
Kopf in a thread of the test process itself, so handler wiring (start-up, login, indexes, the
three kinds' create/timer/delete handlers, cleanup) is exercised where a debugger, coverage and
monkeypatching reach it. The story is the smoke test's: account → NCC attached → rule approved
→ Ready, then deleting both releases their finalizers after the emulator let them go.

The handlers register into a registry of the caller's, with the settings the caller read
(``ncc_operator.handlers.register``), exactly as ``ncc-operator run`` does at start-up: the
fixture builds one with the cluster tests' settings. What ``kopf run`` changes for the whole
process is restored afterwards: the default registry, root logging and the level our start-up
sets on Kopf's per-object logger (this process is pytest's).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kopf
import pytest
from kopf.testing import KopfRunner

from ncc_emulator.testing import RunningEmulator
from ncc_operator.handlers import register
from ncc_operator.models import FINALIZER
from ncc_operator.settings import Settings
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import FAST_ENV, Env, Operator


@pytest.fixture
def handlers(crds: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[kopf.OperatorRegistry]:
    """A registry holding every handler of ours, registered with the cluster tests' settings."""
    monkeypatch.setenv("KUBECONFIG", str(crds.kubeconfig))
    registry = register(kopf.OperatorRegistry(), Settings.from_env(FAST_ENV))
    # KopfRunner's `run` makes the registry it is given the process's default one: restore it,
    # or later in-process Kopf runs (tests/testenv/test_kopf.py) would start our handlers too.
    previous = kopf.get_default_registry()
    root = logging.getLogger()
    saved_logging = (root.handlers[:], root.level)
    asyncio_logger = logging.getLogger("asyncio")
    saved_asyncio = (asyncio_logger.handlers[:], asyncio_logger.propagate)
    # Our start-up quietens Kopf's per-object logger (handlers/startup.py), process-wide.
    objects_logger = logging.getLogger("kopf.objects")
    saved_objects_level = objects_logger.level
    try:
        yield registry
    finally:
        kopf.set_default_registry(previous)
        objects_logger.setLevel(saved_objects_level)
        # `kopf run` configures root logging for a process; this process is pytest's.
        root.handlers[:], _ = saved_logging
        root.setLevel(saved_logging[1])
        asyncio_logger.handlers[:], asyncio_logger.propagate = saved_asyncio


def handler_ids(registry: kopf.OperatorRegistry) -> set[str]:
    every = [
        *registry._activities.get_all_handlers(),
        *registry._indexing.get_all_handlers(),
        *registry._spawning.get_all_handlers(),
        *registry._changing.get_all_handlers(),
        *registry._watching.get_all_handlers(),
    ]
    return {str(h.id) for h in every}


def test_handlers_in_process_reach_ready_and_release(
    handlers: kopf.OperatorRegistry,
    crds: Cluster,
    namespace: str,
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> None:
    emulator = emulator_factory(cloud="azure", workspaces=[(1111, "eastus2")])
    log = tmp_path / "operator.log"
    log.touch()
    # Only Env's helpers are used: nothing starts this Operator (Kopf runs in this process).
    env = Env(crds, namespace, emulator, Operator(crds, namespace, log))
    ids = handler_ids(handlers)
    for kind in ("databricksaccounts", "networkconnectivityconfigs", "privateendpointrules"):
        assert {f"{kind}-create", f"{kind}-resume", f"{kind}-delete"} <= ids, sorted(ids)
    args = ["run", "--standalone", "--namespace", namespace, "--quiet"]
    with KopfRunner(args, registry=handlers, timeout=60) as runner:
        env.account()
        env.wait_reason("databricksaccounts", "main", "Available")
        env.ncc("prod", extra="  workspaceIds: [1111]\n")
        ncc = env.wait_for(
            "networkconnectivityconfigs",
            "prod",
            lambda o: (
                o.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == [1111]
            ),
            what="workspace 1111 attached",
        )
        # Start-up ran here: our finalizer, not Kopf's default one.
        assert ncc["metadata"]["finalizers"] == [FINALIZER]
        env.wait_reason("networkconnectivityconfigs", "prod", "Available")
        env.azure_rule("blob")
        env.wait_reason("privateendpointrules", "blob", "AwaitingApproval")
        emulator.admin.approve(env.rule_id("blob"))
        env.wait_reason("privateendpointrules", "blob", "Established")
        ncc_id = env.ncc_id("prod")
        env.kubectl("delete", "privateendpointrule", "blob", "--wait=false")
        env.wait_gone("privateendpointrules", "blob")
        assert [r["deactivated"] for r in env.databricks_rules("prod")] == [True]
        # Databricks refuses to delete an attached NCC: Orphan releases it at once.
        env.kubectl(
            "patch",
            "networkconnectivityconfig",
            "prod",
            "--type=merge",
            "-p",
            '{"spec": {"deletionPolicy": "Orphan"}}',
        )
        env.kubectl("delete", "networkconnectivityconfig", "prod", "--wait=false")
        env.wait_gone("networkconnectivityconfigs", "prod")
    # An exception inside the operator would have been re-raised as the block exited.
    assert runner.exit_code == 0, runner.output
    state: dict[str, Any] = emulator.admin.state()
    assert [n["network_connectivity_config_id"] for n in state["nccs"]] == [ncc_id]
