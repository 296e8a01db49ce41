"""Who may call the emulator: service principals, PATs, federation policies and issued tokens.

Secrets and tokens are kept only as SHA-256 digests, so neither ``GET /_emulator/state`` nor the
state file nor a log line can reveal one. Token lifetimes run on real time (not the emulator
clock): advancing the clock by 14 days to expire a rule must not log every client out.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from .errors import permission_denied, unauthenticated

JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class OAuthError(Exception):
    """A token-endpoint failure, rendered as RFC 6749 error JSON."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass
class Principal:
    client_id: str
    secret_sha256: str
    admin: bool = True


@dataclass
class FederationPolicy:
    issuer: str
    subject: str
    jwks_json: dict[str, Any]
    audiences: list[str] = field(default_factory=list)
    client_id: str | None = None  # None: account-wide token federation
    admin: bool = True


@dataclass
class IssuedToken:
    principal: str
    admin: bool
    expires_at: float


class AuthRegistry:
    """Credentials the emulator accepts and the bearer tokens it has issued."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self.principals: dict[str, Principal] = {}
        self.pats: dict[str, bool] = {}  # sha256(token) → admin
        self.policies: list[FederationPolicy] = []
        self.tokens: dict[str, IssuedToken] = {}  # sha256(token) → grant

    def add_principal(self, client_id: str, client_secret: str, admin: bool = True) -> None:
        self.principals[client_id] = Principal(client_id, digest(client_secret), admin)

    def add_pat(self, token: str, admin: bool = True) -> None:
        self.pats[digest(token)] = admin

    def add_policy(self, policy: FederationPolicy) -> None:
        if not policy.audiences:
            policy.audiences = [self.account_id]
        self.policies.append(policy)

    def issue(self, principal: str, admin: bool, expires_in: int) -> str:
        token = "dkea" + secrets.token_hex(24)
        self.tokens[digest(token)] = IssuedToken(principal, admin, time.time() + expires_in)
        return token

    def client_credentials(self, client_id: str | None, client_secret: str | None) -> Principal:
        principal = self.principals.get(client_id or "")
        if principal is None or not secrets.compare_digest(
            principal.secret_sha256, digest(client_secret or "")
        ):
            raise OAuthError(401, "invalid_client", "Client authentication failed")
        return principal

    def exchange(self, subject_token: str, client_id: str | None) -> tuple[str, bool]:
        """RFC 8693: find a policy whose issuer, subject, audience and keys accept the JWT."""
        candidates = [p for p in self.policies if p.client_id == (client_id or None)]
        if not candidates:
            raise OAuthError(400, "invalid_request", "No federation policy matches the client.")
        reasons = []
        for policy in candidates:
            try:
                claims = _verify(subject_token, policy)
            except jwt.PyJWTError as exc:
                reasons.append(str(exc))
                continue
            if claims.get("sub") != policy.subject:
                reasons.append("subject does not match the federation policy")
                continue
            return client_id or f"federated:{claims['sub']}", policy.admin
        raise OAuthError(
            400, "invalid_grant", "Token exchange failed: " + "; ".join(sorted(set(reasons)))
        )

    def authenticate(self, authorization: str | None) -> tuple[str, bool]:
        """Resolve ``Authorization: Bearer …`` to (principal, admin) or raise 401."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated("Credential was not sent or was of an unsupported type.")
        key = digest(token.strip())
        if key in self.pats:
            return "pat", self.pats[key]
        issued = self.tokens.get(key)
        if issued is None:
            raise unauthenticated("Invalid access token.")
        if issued.expires_at <= time.time():
            del self.tokens[key]
            raise unauthenticated("Token expired.")
        return issued.principal, issued.admin

    def require_admin(self, authorization: str | None) -> str:
        principal, admin = self.authenticate(authorization)
        if not admin:
            raise permission_denied(f"Principal {principal} is not an account admin.")
        return principal


def _verify(token: str, policy: FederationPolicy) -> dict[str, Any]:
    header = jwt.get_unverified_header(token)
    keys = jwt.PyJWKSet.from_dict(policy.jwks_json).keys
    matching = [k for k in keys if header.get("kid") in (None, k.key_id)] or keys
    last: jwt.PyJWTError = jwt.InvalidSignatureError("no key in the policy's JWKS")
    for key in matching:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=JWT_ALGORITHMS,
                audience=policy.audiences,
                issuer=policy.issuer,
                options={"require": ["exp", "iss", "sub", "aud"]},
            )
            return claims
        except jwt.InvalidSignatureError as exc:
            last = exc
    raise last


def parse_jwks(raw: Any) -> dict[str, Any]:
    """Admin input: a JWKS as an object or as its JSON text."""
    value = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        raise ValueError("jwks_json must be a JWKS object with a 'keys' list")
    return value
