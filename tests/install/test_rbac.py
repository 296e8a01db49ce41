"""RBAC proven by use: the chart installed into the real control plane, the operator run with only
its ServiceAccount's token (TokenRequest API), through the whole story; then what that identity
may do, asked of the API server itself, is exactly what the story needed and nothing more.

Two modes: cluster-wide (ClusterRole) and ``watchNamespaces`` with two namespaces (Roles there,
nothing in a third). The control plane has no kubelet or controllers: the chart's Deployment is
stored but never scheduled, so the operator runs as a host process with the Deployment's args and
env and the ServiceAccount's kubeconfig (tests/install/running.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_testenv import controlplane
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import Env
from tests.install.chart import Release, container, container_env, token_cluster
from tests.install.running import ChartOperator
from tests.install.story import WORKSPACES, run_story, story_values

CRS = (
    "databricksaccounts",
    "networkconnectivityconfigs",
    "privateendpointrules",
    "networkpolicies",
)
GROUP = "networking.ncc-operator.io"
# Asked of `kubectl auth can-i` by their full names: a bare `networkpolicies` is the core kind.
QUALIFIED = tuple(f"{cr}.{GROUP}" for cr in CRS)
Rule = tuple[str, str, str]  # (apiGroup, resource, verb)

NEEDED_IN_WATCHED: set[Rule] = {
    *((GROUP, cr, verb) for cr in CRS for verb in ("list", "watch", "patch")),
    *((GROUP, f"{cr}/status", "patch") for cr in CRS),
    ("", "secrets", "get"),
    ("", "events", "create"),
}
LEASES = "coordination.k8s.io"


def needed_in_release_namespace(lease: str) -> set[Rule]:
    """Leader election: its own Lease by name, and create (a name cannot limit create)."""
    return {(LEASES, f"leases:{lease}", "get"), (LEASES, f"leases:{lease}", "update"),
            (LEASES, "leases", "create")}  # fmt: skip


def lease_name(release: Release) -> str:
    args = container(release.manifests)["args"]
    return str(next(a.split("=", 1)[1] for a in args if a.startswith("--leader-election-id=")))


NEEDED_CLUSTER_WIDE: set[Rule] = {
    ("", "namespaces", "list"),
    ("", "namespaces", "watch"),
    ("apiextensions.k8s.io", "customresourcedefinitions", "list"),
    ("apiextensions.k8s.io", "customresourcedefinitions", "watch"),
}


@dataclass(frozen=True)
class Mode:
    name: str
    namespaced: bool


MODES = [
    pytest.param(Mode("cluster-wide", namespaced=False), id="cluster-wide"),
    pytest.param(Mode("two-namespaces", namespaced=True), id="two-namespaces"),
]


@dataclass
class Installed:
    release: Release
    identity: Cluster
    watched: list[str]
    """The namespaces the story uses (both watched in either mode)."""
    unwatched: str


@pytest.fixture
def own_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A control plane of its own: a cluster-wide operator sees every namespace, and the shared
    one holds the leftovers of every earlier test (namespaces never finish terminating without
    a controller-manager), which it would dutifully try to reconcile."""
    plane = controlplane.start(tmp_path_factory.mktemp("own-plane"))
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture(params=MODES)
def installed(
    request: pytest.FixtureRequest,
    release_factory: Callable[[dict[str, Any]], Release],
    more_namespaces: Callable[[], str],
    helm: Path,
    tmp_path: Path,
) -> Iterator[Installed]:
    mode: Mode = request.param
    if mode.namespaced:
        watched, unwatched = [more_namespaces(), more_namespaces()], more_namespaces()
        release = release_factory(story_values(watched))
        yield Installed(release, release.identity(tmp_path), watched, unwatched)
        return
    plane: Cluster = request.getfixturevalue("own_plane")
    ops, *watched, unwatched = (f"ns-{i}" for i in range(4))
    for name in (ops, *watched, unwatched):
        plane.kubectl("create", "namespace", name)
    # The chart's crds/ are what this plane gets: helm installs them on the first install.
    release = Release(helm, plane, "r-cluster", ops, story_values([]))
    release.install()
    yield Installed(release, release.identity(tmp_path), watched, unwatched)


@pytest.fixture
def chart_operator(
    installed: Installed, emulator_factory: Callable[..., RunningEmulator], tmp_path: Path
) -> Iterator[Env]:
    emulator = emulator_factory(cloud="azure", workspaces=WORKSPACES)
    manifests = installed.release.manifests
    operator = ChartOperator(
        installed.identity,
        installed.watched[0],
        tmp_path / "operator.log",
        env=container_env(manifests),
        args=list(container(manifests)["args"]),
    )
    operator.start()
    try:
        yield Env(installed.release.admin, installed.watched[0], emulator, operator)
    finally:
        operator.stop()


def test_operator_passes_the_story_with_only_the_chart_identity(
    installed: Installed, chart_operator: Env
) -> None:
    """Account Ready, NCC attached, rules created/approved/deleted, namespace selector admission:
    all with the ServiceAccount token, and the log shows no permission error."""
    run_story(chart_operator, installed.watched[1])
    log = chart_operator.operator.logs()
    # (httpx request lines are no longer logged at INFO, so a 403 shows as Kopf's or our words.)
    for marker in ("Forbidden", "forbidden", "Not enough permissions", "lacks RBAC permission"):
        assert marker not in log, f"{marker!r} in the operator log:\n{log[-3000:]}"


# -- what the identity may do: kubectl auth can-i, row by row --------------------------------

# (verb, resource, where, allowed cluster-wide, allowed namespaced, why)
# where: "watched" = a watched namespace, "unwatched" = another one, "release" = the release's
# own namespace, "cluster" = cluster scope. "kind:name" asks about one object ({lease}: the
# release's Lease).
CAN_I: list[tuple[str, str, str, bool, bool, str]] = [
    ("create", "leases.coordination.k8s.io", "release", True, True, "creates its Lease"),
    ("get", "leases.coordination.k8s.io:{lease}", "release", True, True, "reads its Lease"),
    ("update", "leases.coordination.k8s.io:{lease}", "release", True, True, "renews its Lease"),
    *[
        (v, "leases.coordination.k8s.io:{lease}", "release", False, False, "never more")
        for v in ("delete", "patch")
    ],
    *[
        (v, "leases.coordination.k8s.io:other-lease", "release", False, False, "not its Lease")
        for v in ("get", "update")
    ],
    ("list", "leases.coordination.k8s.io", "release", False, False, "no listing of Leases"),
    *[
        (v, cr, "watched", True, True, "Kopf watches/indexes and patches its kinds")
        for cr in QUALIFIED
        for v in ("list", "watch", "patch")
    ],
    *[
        ("patch", f"{cr}/status", "watched", True, True, "conditions are written to /status")
        for cr in QUALIFIED
    ],
    (
        "list",
        "networkpolicies.networking.k8s.io",
        "watched",
        False,
        False,
        "the core NetworkPolicy kind shares the plural: it is not the operator's",
    ),
    ("get", "secrets", "watched", True, True, "an account's credentials, by name"),
    ("create", "events", "watched", True, True, "the engine's events"),
    ("list", "namespaces", "cluster", True, True, "namespace-selector index"),
    ("watch", "namespaces", "cluster", True, True, "namespace label changes wake rules"),
    (
        "watch",
        "customresourcedefinitions.apiextensions.k8s.io",
        "cluster",
        True,
        True,
        "Kopf resource discovery",
    ),
    (
        "get",
        "secrets",
        "unwatched",
        True,
        False,
        "namespaced mode reads Secrets only where it watches",
    ),
    (
        "list",
        "privateendpointrules",
        "unwatched",
        True,
        False,
        "namespaced mode sees nothing elsewhere",
    ),
    (
        "create",
        "events",
        "unwatched",
        True,
        False,
        "namespaced mode posts events only where it watches",
    ),
    *[
        (v, "secrets", "watched", False, False, "Secrets: get by name only")
        for v in ("list", "watch", "create", "update", "patch", "delete")
    ],
    ("list", "secrets", "cluster", False, False, "never every Secret of the cluster"),
    *[
        (v, cr, "watched", False, False, "users own the objects")
        for cr in QUALIFIED
        for v in ("create", "update", "delete")
    ],
    (
        "get",
        "privateendpointrules",
        "watched",
        False,
        False,
        "watch events carry the objects: no GET needed",
    ),
    (
        "update",
        "privateendpointrules/status",
        "watched",
        False,
        False,
        "status is patched, never replaced",
    ),
    *[
        (v, "events", "watched", False, False, "events are only created")
        for v in ("patch", "delete", "list")
    ],
    *[
        (v, r, "watched", False, False, "no other kinds")
        for v, r in [
            ("create", "pods"),
            ("get", "configmaps"),
            ("create", "leases.coordination.k8s.io"),
            ("create", "serviceaccounts/token"),
            ("create", "deployments.apps"),
        ]
    ],
    *[
        (v, "namespaces", "cluster", False, False, "namespaces are only read")
        for v in ("get", "create", "patch", "delete")
    ],
    *[
        (
            v,
            "customresourcedefinitions.apiextensions.k8s.io",
            "cluster",
            False,
            False,
            "CRDs are installed by helm, not the operator",
        )
        for v in ("create", "patch", "delete")
    ],
    (
        "create",
        "clusterrolebindings.rbac.authorization.k8s.io",
        "cluster",
        False,
        False,
        "no RBAC writes",
    ),
    (
        "escalate",
        "clusterroles.rbac.authorization.k8s.io",
        "cluster",
        False,
        False,
        "no RBAC escalation",
    ),
    ("impersonate", "users", "cluster", False, False, "no impersonation"),
    ("get", "nodes", "cluster", False, False, "no cluster-scoped reads beyond namespaces and CRDs"),
]


def can_i(identity: Cluster, verb: str, resource: str, namespace: str | None) -> bool:
    resource, _, name = resource.partition(":")
    kind, _, sub = resource.partition("/")
    target = f"{kind}/{name}" if name else kind
    args = ["auth", "can-i", verb, target, *(["--subresource", sub] if sub else [])]
    scope = ["-n", namespace] if namespace else ["--all-namespaces"]
    proc = identity.kubectl(*args, *scope, check=False)
    answer = proc.stdout.strip()
    assert answer in {"yes", "no"}, f"kubectl auth can-i said {answer!r}: {proc.stderr}"
    return answer == "yes"


@pytest.mark.parametrize("mode", [p.values[0] for p in MODES], ids=[str(p.id) for p in MODES])
def test_can_i_matrix_grants_nothing_more(
    mode: Mode,
    release_factory: Callable[[dict[str, Any]], Release],
    more_namespaces: Callable[[], str],
    tmp_path: Path,
) -> None:
    watched, unwatched = [more_namespaces(), more_namespaces()], more_namespaces()
    release = release_factory(story_values(watched if mode.namespaced else []))
    identity = release.identity(tmp_path)
    where = {
        "watched": watched[1],
        "unwatched": unwatched,
        "release": release.namespace,
        "cluster": None,
    }
    wrong = []
    for verb, resource, place, cluster_wide, namespaced, why in CAN_I:
        expected = namespaced if mode.namespaced else cluster_wide
        asked = resource.format(lease=lease_name(release))
        actual = can_i(identity, verb, asked, where[place])
        if actual != expected:
            wrong.append(f"{verb} {resource} ({place}): {actual}, expected {expected}: {why}")
    assert not wrong, "\n".join(wrong)


# -- and the whole grant, not just the rows asked: SelfSubjectRulesReview -------------------


def granted(identity: Cluster, namespace: str) -> set[Rule]:
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": namespace},
    }
    out = identity.kubectl(
        "create", "--validate=false", "-f", "-", "-o", "json", input=json.dumps(review)
    ).stdout
    rules: set[Rule] = set()
    for rule in json.loads(out)["status"].get("resourceRules", []):
        names = rule.get("resourceNames") or [None]
        for group in rule.get("apiGroups", []):
            for resource in rule.get("resources", []):
                for name in names:
                    target = f"{resource}:{name}" if name else resource
                    rules.update((group, target, verb) for verb in rule.get("verbs", []))
    return rules


@pytest.mark.parametrize("mode", [p.values[0] for p in MODES], ids=[str(p.id) for p in MODES])
def test_rules_review_is_exactly_what_the_story_needs(
    mode: Mode,
    release_factory: Callable[[dict[str, Any]], Release],
    more_namespaces: Callable[[], str],
    tmp_path: Path,
) -> None:
    """Everything the identity is granted, minus what every authenticated ServiceAccount has
    (measured on one with no bindings), is exactly the needed set — per namespace."""
    watched, unwatched = [more_namespaces(), more_namespaces()], more_namespaces()
    release = release_factory(story_values(watched if mode.namespaced else []))
    identity = release.identity(tmp_path)
    release.admin.kubectl("-n", release.namespace, "create", "serviceaccount", "nobody")
    nobody = token_cluster(release.admin, release.namespace, "nobody", tmp_path)
    for ns, expected in [
        (watched[0], NEEDED_IN_WATCHED | NEEDED_CLUSTER_WIDE),
        (watched[1], NEEDED_IN_WATCHED | NEEDED_CLUSTER_WIDE),
        (
            unwatched,
            NEEDED_CLUSTER_WIDE if mode.namespaced else NEEDED_IN_WATCHED | NEEDED_CLUSTER_WIDE,
        ),
        (
            release.namespace,
            (NEEDED_CLUSTER_WIDE if mode.namespaced else NEEDED_IN_WATCHED | NEEDED_CLUSTER_WIDE)
            | needed_in_release_namespace(lease_name(release)),
        ),
    ]:
        extra = granted(identity, ns) - granted(nobody, ns)
        assert extra == expected, (
            f"{ns}: granted beyond the baseline but not needed: {sorted(extra - expected)}; "
            f"needed but missing: {sorted(expected - extra)}"
        )
