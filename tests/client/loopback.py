"""Helpers for tests against the real emulator: clients, JWTs signed by a test key, target ids."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from ncc_emulator.testing import RunningEmulator
from ncc_operator.databricks import (
    CreatePrivateEndpointRule,
    Credentials,
    DatabricksAccountClient,
    RetryPolicy,
)

ISSUER = "https://oidc.cluster.test"
SUBJECT = "system:serviceaccount:ncc-system:ncc-operator"
STORAGE = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa"
PLS = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/privateLinkServices/pls"


def storage_rule(n: int = 0, group: str = "blob") -> CreatePrivateEndpointRule:
    return CreatePrivateEndpointRule(resource_id=f"{STORAGE}{n}", group_id=group)


async def connect(
    emu: RunningEmulator, credentials: Credentials | None = None, **options: Any
) -> DatabricksAccountClient:
    options.setdefault("retry_policy", RetryPolicy(rng=lambda: 0.0))
    return await DatabricksAccountClient.connect(
        host=emu.base_url,
        account_id=emu.account_id,
        credentials=credentials or Credentials.oauth_m2m(emu.client_id, emu.client_secret),
        cloud=emu.cloud,
        **options,
    )


class SigningKey:
    """An RSA key standing in for a Kubernetes service-account token issuer."""

    def __init__(self, kid: str = "test-key") -> None:
        self.kid = kid
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def token(self, audience: str, subject: str = SUBJECT, issuer: str = ISSUER) -> str:
        now = int(time.time())
        claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": now, "exp": now + 600}
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})
