"""Secretless auth end to end: the chart's ServiceAccount token, exchanged at Databricks.

The test kube-apiserver is a real OIDC issuer. The emulator's federation policy trusts it (its
issuer and JWKS, read from the apiserver) with the chart's ServiceAccount as subject and the
chart's ``workloadIdentity.audience``. The chart is installed with workload identity enabled, and
the operator runs with the Deployment's args and env and the ServiceAccount's own kubeconfig
(tests/install/running.py). There is no kubelet, so the projected token the Deployment asks for
is written by the test: a TokenRequest token for the same audience, at the chart's tokenPath,
rotated the way kubelet rotates it (tests/install/workload.py). No Secret is created.

The emulator issues Databricks tokens for 45 s: the SDK treats a token as expired 40 s before its
expiry, so it exchanges the file's token again about every 5 s, which is what makes the rotation
test fast and deterministic (a real 1 h token would be re-exchanged after ~20-30 min).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ncc_emulator.testing import RunningEmulator
from ncc_testenv.cluster import Cluster
from tests.cluster.conftest import GROUP, VERSION, Env
from tests.install.chart import Manifest, Release, container, container_env, one
from tests.install.running import ChartOperator
from tests.install.story import WORKSPACES, story_values
from tests.install.workload import ProjectedToken, apiserver_issuer, claims, request_token

ACCOUNTS, NCCS = "databricksaccounts", "networkconnectivityconfigs"
CLIENT_ID = "ncc-operator-wif"  # the service principal whose federation policy trusts the SA
INTRUDER = "intruder"  # another ServiceAccount of the same namespace
TOKEN_PATH_ENV = "NCC_OPERATOR_WORKLOAD_IDENTITY_TOKEN_PATH"
NAMESPACES_ENV = "NCC_OPERATOR_WORKLOAD_IDENTITY_NAMESPACES"
ISSUED_SECONDS = 45
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+")


@dataclass
class Secretless:
    env: Env
    release: Release
    token: ProjectedToken
    audience: str
    """The audience of the chart's projected token volume."""

    @property
    def admin(self) -> Cluster:
        return self.env.cluster

    def subject_token(self, account: str | None = None, audience: str | None = None) -> str:
        sa = account or self.release.service_account
        return request_token(self.admin, self.env.namespace, sa, audience or self.audience)

    def start(self, *, allowed: str) -> None:
        """Start the operator, ``allowed`` being its NCC_OPERATOR_WORKLOAD_IDENTITY_NAMESPACES.

        The chart has no value for that setting yet (reported): it is added to the chart's env.
        """
        self.env.operator.env[NAMESPACES_ENV] = allowed
        self.env.operator.start()

    def account(self, name: str = "main", audience: str | None = None) -> None:
        wi = f"{{clientId: {CLIENT_ID}" + (f", audience: {audience}}}" if audience else "}")
        emu = self.env.emulator
        self.env.apply(
            f"""
apiVersion: {GROUP}/{VERSION}
kind: DatabricksAccount
metadata: {{name: {name}}}
spec:
  accountId: {emu.account_id}
  cloud: {emu.cloud}
  host: {emu.base_url}
  auth: {{workloadIdentity: {wi}}}
"""
        )

    def exchanges(self) -> int:
        """Token-endpoint calls the emulator answered (each one an exchange of the file)."""
        counts = self.env.emulator.admin.request_counts()
        return sum(n for key, n in counts.items() if key.startswith("POST ") and "token" in key)

    def condition(self, type_: str) -> dict[str, Any]:
        return self.env.condition(ACCOUNTS, "main", type_)


def projected_audience(manifests: list[Manifest]) -> str:
    volumes = one(manifests, "Deployment")["spec"]["template"]["spec"]["volumes"]
    (volume,) = [v for v in volumes if "projected" in v]
    (source,) = volume["projected"]["sources"]
    return str(source["serviceAccountToken"]["audience"])


@pytest.fixture
def secretless(
    crds: Cluster,
    namespace: str,
    release_factory: Callable[[dict[str, Any]], Release],
    emulator_factory: Callable[..., RunningEmulator],
    tmp_path: Path,
) -> Iterator[Secretless]:
    emulator = emulator_factory(
        cloud="azure", workspaces=WORKSPACES, token_expires_in=ISSUED_SECONDS
    )
    token_path = tmp_path / "projected" / "token"
    wi = {"enabled": True, "audience": emulator.account_id, "tokenPath": str(token_path)}
    release = release_factory({**story_values([namespace]), "workloadIdentity": wi})
    env_vars = container_env(release.manifests)
    assert env_vars[TOKEN_PATH_ENV] == str(token_path), "the chart hands the path on"
    audience = projected_audience(release.manifests)
    issuer = apiserver_issuer(crds)
    emulator.admin.add_federation_policy(
        issuer=issuer.issuer,
        subject=f"system:serviceaccount:{namespace}:{release.service_account}",
        audiences=[audience],
        client_id=CLIENT_ID,
        jwks_json=issuer.jwks,
    )
    crds.kubectl("-n", namespace, "create", "serviceaccount", INTRUDER)
    operator = ChartOperator(
        release.identity(tmp_path),
        namespace,
        tmp_path / "operator.log",
        env=env_vars,
        args=list(container(release.manifests)["args"]),
    )
    try:
        yield Secretless(
            Env(crds, namespace, emulator, operator), release, ProjectedToken(token_path), audience
        )
    finally:
        operator.stop()


def assert_no_token_in(text: str, *tokens: str) -> None:
    for token in tokens:
        assert token not in text, "a token in the status message"
    assert not JWT.search(text), f"something JWT-shaped in {text!r}"


def test_a_workload_identity_account_and_its_ncc_become_ready_with_no_secret(
    secretless: Secretless,
) -> None:
    token = secretless.subject_token()
    minted = claims(token)
    assert minted["sub"] == f"system:serviceaccount:{secretless.env.namespace}:" + (
        secretless.release.service_account
    )
    assert minted["aud"] == [secretless.audience]
    secretless.token.write(token)
    secretless.start(allowed=secretless.env.namespace)

    secretless.account()
    env = secretless.env
    ready = env.wait_reason(ACCOUNTS, "main", "Available")
    assert "workloadIdentity" in env.condition(ACCOUNTS, "main")["message"], ready["status"]
    assert secretless.exchanges() >= 1, "the token endpoint exchanged the file's token"
    env.ncc("prod", extra="  workspaceIds: [1111]\n")
    env.wait_for(
        NCCS,
        "prod",
        lambda o: o.get("status", {}).get("atProvider", {}).get("attachedWorkspaceIds") == [1111],
        what="workspace 1111 attached through the workload-identity account",
    )
    env.wait_reason(NCCS, "prod", "Available")
    secrets = env.cluster.kubectl("-n", env.namespace, "get", "secrets", "-o", "name").stdout
    # Helm keeps its release record as a Secret; nothing else exists, none holds a credential.
    assert [s for s in secrets.split() if not s.startswith("secret/sh.helm.release.")] == []


def test_a_rotated_token_file_is_picked_up_without_restart(secretless: Secretless) -> None:
    env = secretless.env
    first = secretless.subject_token()
    secretless.token.write(first)
    secretless.start(allowed=env.namespace)
    secretless.account()
    env.wait_reason(ACCOUNTS, "main", "Available")
    assert env.operator.process is not None
    pid = env.operator.process.pid

    # Kubelet's rotation: a new token for the same identity, swapped in; nothing notices.
    second = secretless.subject_token()
    assert second != first
    secretless.token.write(second)
    before = secretless.exchanges()
    env.wait_for(
        ACCOUNTS, "main", lambda _: secretless.exchanges() >= before + 2, what="re-exchanges"
    )
    assert secretless.condition("Ready").get("reason") == "Available"

    # What is exchanged is what the file holds now, read by the same client: a token the policy
    # does not trust turns the account AuthFailed, a fresh good one turns it Available again.
    secretless.token.write(secretless.subject_token(INTRUDER))
    env.wait_reason(ACCOUNTS, "main", "AuthFailed", type_="Synced")
    assert secretless.condition("Ready").get("status") == "False"
    secretless.token.write(secretless.subject_token())
    env.wait_reason(ACCOUNTS, "main", "Available")

    assert env.operator.process is not None
    assert env.operator.process.pid == pid, "the operator was not restarted"
    assert env.operator.process.poll() is None
    assert "changed: new client" not in env.operator.logs(), "the same client re-read the file"


# (case, ServiceAccount, audience or None for the chart's, reaches the token endpoint, message)
REFUSED = [
    pytest.param(
        INTRUDER,
        None,
        True,
        "subject does not match",
        id="another-serviceaccount: the federation policy names another subject",
    ),
    pytest.param(
        None,
        "https://kubernetes.default.svc",
        False,
        "not the configured audience",
        id="another-audience: refused by the operator before the token is sent",
    ),
]


@pytest.mark.parametrize(("account", "audience", "sent", "says"), REFUSED)
def test_a_token_the_policy_does_not_trust_is_refused_clearly(
    secretless: Secretless, account: str | None, audience: str | None, sent: bool, says: str
) -> None:
    token = secretless.subject_token(account, audience)
    secretless.token.write(token)
    secretless.start(allowed=secretless.env.namespace)
    secretless.account()
    synced = secretless.env.wait_reason(ACCOUNTS, "main", "AuthFailed", type_="Synced")
    message = secretless.condition("Synced")["message"]
    assert says in message, synced["status"]
    assert secretless.condition("Ready").get("status") == "False"
    assert_no_token_in(message, token)
    assert_no_token_in(secretless.env.operator.logs(), token)
    assert (secretless.exchanges() > 0) is sent


def test_an_unlisted_namespace_is_not_allowed_and_the_token_is_never_read(
    secretless: Secretless,
) -> None:
    env = secretless.env
    secretless.token.write(secretless.subject_token())
    secretless.start(allowed="platform")
    secretless.account()
    env.wait_reason(ACCOUNTS, "main", "NotAllowed", type_="Synced")

    # No token file at all: still NotAllowed (checked before the file is opened), not "missing".
    secretless.token.remove()
    secretless.account(audience=env.emulator.account_id)  # a spec change: a fresh reconcile
    generation = env.get(ACCOUNTS, "main")["metadata"]["generation"]
    env.wait_for(
        ACCOUNTS,
        "main",
        lambda _: secretless.condition("Synced").get("observedGeneration") == generation,
        what="the changed spec reconciled",
    )
    synced = secretless.condition("Synced")
    assert synced["reason"] == "NotAllowed", synced
    assert "workloadIdentityNamespaces" in synced["message"], synced
    for missing in (str(secretless.token.path), "No such file", "not exist", "empty"):
        assert missing not in synced["message"], synced
    assert env.emulator.admin.request_counts() == {}, "nothing was sent to Databricks"
