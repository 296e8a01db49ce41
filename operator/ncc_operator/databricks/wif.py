"""Workload identity tokens: reading the ``aud`` claim and refusing a token for another audience.

SDK 0.162 never asks for an audience in ``file-oidc``/``env-oidc``: it reads the token as it is
(``oidc.FileIdTokenSource``/``EnvIdTokenSource``), and ``oidc_credentials_provider`` (in
``credentials_provider.py``) does not pass ``token_audience`` on. The audience is minted into the
token by whoever projects it (kubelet, for a projected service-account token). So the configured
audience is applied here: a token for another audience is refused before it is sent, with a
message that says what to fix.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import TYPE_CHECKING

from .errors import CredentialsError

if TYPE_CHECKING:
    from .auth import Credentials


def token_audiences(credentials: Credentials) -> tuple[str, ...] | None:
    """The ``aud`` claim of the workload-identity token, unverified; ``None`` if unreadable.

    Only the claim is read (no signature check: the token endpoint verifies). Never log the token.
    """
    if credentials.oidc_token_filepath:
        try:
            with open(credentials.oidc_token_filepath, encoding="utf-8") as file:
                token = file.read().strip()
        except OSError:
            return None  # the SDK reports the missing file with its own words
    else:
        token = os.environ.get(credentials.oidc_token_env or "DATABRICKS_OIDC_TOKEN", "")
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    aud = claims.get("aud") if isinstance(claims, dict) else None
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return tuple(aud)
    return None


def check_audience(credentials: Credentials) -> None:
    """Refuse a workload-identity token minted for another audience, before sending it."""
    wanted = credentials.audience
    if not wanted or credentials.auth_type.value not in ("file-oidc", "env-oidc"):
        return
    found = token_audiences(credentials)
    if found is None or wanted in found:
        return
    env = credentials.oidc_token_env or "DATABRICKS_OIDC_TOKEN"
    source = credentials.oidc_token_filepath or f"${env}"
    raise CredentialsError(
        f"the workload identity token in {source} is for audience {', '.join(found)!r}, not "
        f"the configured audience {wanted!r}: project the service-account token with audience "
        f"{wanted!r} (or configure the audience the token has)"
    )
