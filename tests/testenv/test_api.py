"""The API server is real: structural schemas, CEL, status subresource, finalizers, watch, RBAC."""

from __future__ import annotations

import json
import subprocess
import time

from ncc_testenv.cluster import Cluster

from .conftest import GROUP, widget


def _get(cluster: Cluster, ns: str, name: str, path: str) -> str:
    return cluster.kubectl(
        "get", f"widgets.{GROUP}", name, "-n", ns, "-o", f"jsonpath={path}"
    ).stdout


def test_crd_with_cel_accepts_valid_and_rejects_invalid(
    control_plane: Cluster, namespace: str, widgets_crd: str
) -> None:
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=widget("ok", 3, 5))
    assert _get(control_plane, namespace, "ok", "{.spec.size}") == "3"

    bad = control_plane.kubectl(
        "apply", "-n", namespace, "-f", "-", input=widget("too-big", 9, 5), check=False
    )
    assert bad.returncode != 0
    assert "size must not exceed maxSize" in bad.stderr

    # The structural schema is enforced too: an unknown field is refused (strict field validation).
    unknown = widget("unknown", 1).replace("spec: {", "spec: {bogus: 1, ")
    refused = control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=unknown, check=False)
    assert refused.returncode != 0
    assert 'unknown field "spec.bogus"' in refused.stderr


def test_status_subresource(control_plane: Cluster, namespace: str, widgets_crd: str) -> None:
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=widget("w", 1))
    resource = f"widgets.{GROUP}/w"
    control_plane.kubectl(
        "patch", resource, "-n", namespace, "--subresource=status", "--type=merge",
        "-p", '{"status": {"phase": "Ready"}}',
    )  # fmt: skip
    assert _get(control_plane, namespace, "w", "{.status.phase}") == "Ready"
    # With a status subresource, writes to the main resource ignore status.
    control_plane.kubectl(
        "patch", resource, "-n", namespace, "--type=merge",
        "-p", '{"status": {"phase": "Hacked"}, "spec": {"size": 2}}',
    )  # fmt: skip
    assert _get(control_plane, namespace, "w", "{.status.phase}") == "Ready"
    assert _get(control_plane, namespace, "w", "{.spec.size}") == "2"


def test_finalizer_holds_deletion_until_removed(
    control_plane: Cluster, namespace: str, widgets_crd: str
) -> None:
    held = widget("held", 1, finalizers="[testenv.ncc-operator.io/hold]")
    control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=held)
    control_plane.kubectl("delete", f"widgets.{GROUP}", "held", "-n", namespace, "--wait=false")
    assert _get(control_plane, namespace, "held", "{.metadata.deletionTimestamp}")
    control_plane.kubectl(
        "patch", f"widgets.{GROUP}/held", "-n", namespace, "--type=merge",
        "-p", '{"metadata": {"finalizers": null}}',
    )  # fmt: skip
    gone = control_plane.kubectl("get", f"widgets.{GROUP}", "held", "-n", namespace, check=False)
    assert gone.returncode != 0
    assert "NotFound" in gone.stderr


def test_watch_delivers_events_and_bookmarks(
    control_plane: Cluster, namespace: str, widgets_crd: str
) -> None:
    base = f"/apis/{GROUP}/v1/namespaces/{namespace}/widgets"
    listed = json.loads(control_plane.kubectl("get", "--raw", base).stdout)
    version = listed["metadata"]["resourceVersion"]
    # Starting from the listed resourceVersion, no event can be missed however late the watch
    # connects; a deadline makes the server send a bookmark just before it (and then close).
    query = f"watch=true&allowWatchBookmarks=true&resourceVersion={version}&timeoutSeconds=6"
    cmd = [str(control_plane.kubectl_path), "--kubeconfig", str(control_plane.kubeconfig)]
    with subprocess.Popen(
        [*cmd, "get", "--raw", f"{base}?{query}"], stdout=subprocess.PIPE, text=True
    ) as watch:
        time.sleep(0.5)
        control_plane.kubectl("apply", "-n", namespace, "-f", "-", input=widget("watched", 1))
        control_plane.kubectl(
            "patch", f"widgets.{GROUP}/watched", "-n", namespace, "--type=merge",
            "-p", '{"spec": {"size": 4}}',
        )  # fmt: skip
        control_plane.kubectl("delete", f"widgets.{GROUP}", "watched", "-n", namespace)
        out, _ = watch.communicate(timeout=30)
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    kinds = [event["type"] for event in events]
    assert kinds[:3] == ["ADDED", "MODIFIED", "DELETED"], kinds
    assert "BOOKMARK" in kinds, kinds
    assert events[1]["object"]["spec"]["size"] == 4


def test_rbac_denies_a_service_account_without_permissions(
    control_plane: Cluster, namespace: str, widgets_crd: str
) -> None:
    control_plane.kubectl("create", "serviceaccount", "robot", "-n", namespace)
    robot = f"system:serviceaccount:{namespace}:robot"
    can_i = ("auth", "can-i", "list", f"widgets.{GROUP}", "-n", namespace, f"--as={robot}")
    denied = control_plane.kubectl(*can_i, check=False)
    assert (denied.returncode, denied.stdout.strip()) == (1, "no")
    forbidden = control_plane.kubectl(
        "get", f"widgets.{GROUP}", "-n", namespace, f"--as={robot}", check=False
    )
    assert "Forbidden" in forbidden.stderr

    control_plane.kubectl(
        "create", "role", "widget-reader", "-n", namespace,
        "--verb=get,list", f"--resource=widgets.{GROUP}",
    )  # fmt: skip
    control_plane.kubectl(
        "create", "rolebinding", "robot-reads", "-n", namespace,
        "--role=widget-reader", f"--serviceaccount={namespace}:robot",
    )  # fmt: skip
    allowed = control_plane.kubectl(*can_i, check=False)
    assert (allowed.returncode, allowed.stdout.strip()) == (0, "yes")
