"""Workload identity as a pod gets it, on a control plane without a kubelet.

The test kube-apiserver is the OIDC issuer (its discovery document and JWKS, read with the test's
admin credentials and given to the emulator inline, since the emulator does not fetch JWKS). A
TokenRequest (``kubectl create token --audience``) yields exactly the token a projected
``serviceAccountToken`` volume holds, and :class:`ProjectedToken` lays it out and rotates it the
way kubelet's AtomicWriter does (``token -> ..data/token``, ``..data`` swapped by one rename), so
a reader never sees a half-written file.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ncc_testenv.cluster import Cluster

DATA = "..data"


@dataclass(frozen=True)
class Issuer:
    """The apiserver as an OIDC issuer: what a Databricks federation policy is given."""

    issuer: str
    jwks: dict[str, Any]


def apiserver_issuer(admin: Cluster) -> Issuer:
    discovery = json.loads(
        admin.kubectl("get", "--raw", "/.well-known/openid-configuration").stdout
    )
    jwks = json.loads(admin.kubectl("get", "--raw", "/openid/v1/jwks").stdout)
    return Issuer(str(discovery["issuer"]), jwks)


def request_token(admin: Cluster, namespace: str, account: str, audience: str) -> str:
    """A TokenRequest token of ``namespace/account`` for ``audience`` (10 min: the API minimum)."""
    return admin.kubectl(
        "-n", namespace, "create", "token", account, "--audience", audience, "--duration=10m"
    ).stdout.strip()


def claims(token: str) -> dict[str, Any]:
    """The JWT's payload, unverified (for assertions on what the apiserver minted)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


class ProjectedToken:
    """A projected-volume directory holding one token file, rotated atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.directory = path.parent
        self.directory.mkdir(parents=True, exist_ok=True)

    def write(self, token: str) -> None:
        """Write a new timestamped payload dir, then swap ``..data`` to it with one rename."""
        payload = self.directory / f"..{uuid.uuid4().hex}"
        payload.mkdir(mode=0o700)
        (payload / self.path.name).write_text(token)
        (payload / self.path.name).chmod(0o600)
        link = self.directory / DATA
        previous = os.readlink(link) if link.is_symlink() else None
        staged = self.directory / f"{DATA}_tmp"
        staged.unlink(missing_ok=True)
        staged.symlink_to(payload.name)
        os.replace(staged, link)  # the atomic step: readers see the old or the new token
        if not self.path.is_symlink():
            self.path.symlink_to(f"{DATA}/{self.path.name}")
        if previous is not None:
            shutil.rmtree(self.directory / previous)

    def remove(self) -> None:
        """The whole volume gone: the token path does not exist any more."""
        shutil.rmtree(self.directory)
