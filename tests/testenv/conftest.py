"""Fixtures shared by the ncc_testenv proof tests: a CRD with a CEL rule, an assets directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ncc_testenv import pytest_plugin, tools
from ncc_testenv.cluster import Cluster

GROUP = "testenv.ncc-operator.io"
CRD_NAME = f"widgets.{GROUP}"
CRD = f"""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {CRD_NAME}
spec:
  group: {GROUP}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {{status: {{}}}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {{type: integer, minimum: 0}}
                maxSize: {{type: integer}}
              x-kubernetes-validations:
                - rule: "!has(self.maxSize) || self.size <= self.maxSize"
                  message: "size must not exceed maxSize"
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true
              properties:
                phase: {{type: string}}
                handled: {{type: string}}
"""


def widget(name: str, size: int, max_size: int | None = None, finalizers: str = "[]") -> str:
    extra = f", maxSize: {max_size}" if max_size is not None else ""
    return (
        f"apiVersion: {GROUP}/v1\nkind: Widget\n"
        f"metadata: {{name: {name}, finalizers: {finalizers}}}\n"
        f"spec: {{size: {size}{extra}}}\n"
    )


@pytest.fixture(scope="session")
def widgets_crd(control_plane: Cluster) -> Iterator[str]:
    """The Widget CRD applied and Established; yields its resource name for kubectl."""
    control_plane.kubectl("apply", "-f", "-", input=CRD)
    control_plane.kubectl("wait", "--for=condition=Established", f"crd/{CRD_NAME}", "--timeout=60s")
    yield CRD_NAME
    control_plane.kubectl("delete", "crd", CRD_NAME, "--wait=false", check=False)


@pytest.fixture(scope="session")
def assets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KUBEBUILDER_ASSETS-style directory: symlinks to the resolved etcd/apiserver/kubectl."""
    directory = tmp_path_factory.mktemp("assets")
    for name in ("etcd", "kube-apiserver", "kubectl"):
        try:
            (directory / name).symlink_to(tools.resolve(name))
        except tools.ToolError as error:
            pytest_plugin._unavailable(str(error))  # an error under CI=true, a skip elsewhere
    return directory
