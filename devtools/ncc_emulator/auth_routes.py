"""Discovery and token endpoints: host metadata, OIDC discovery, the account token endpoint
(client credentials and RFC 8693 token exchange) and a minimal Entra ID token endpoint.

What the 0.162 SDK asks for, in order: ``GET /.well-known/databricks-config`` (host metadata, from
which it derives ``discovery_url``), the discovery document, then ``POST <token_endpoint>``.
"""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from . import endpoints
from .auth import OAuthError
from .errors import json_response, oauth_error
from .httpcommon import emulator as _emu

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def host_metadata(request: web.Request) -> web.Response:
    emu = _emu(request)
    return json_response(
        {
            "oidc_endpoint": f"{base_url(request)}/oidc/accounts/{{account_id}}",
            "account_id": emu.account_id,
            "cloud": emu.cloud,
        }
    )


def _discovery(issuer: str) -> dict[str, str]:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/v1/authorize",
        "token_endpoint": f"{issuer}/v1/token",
        "jwks_uri": f"{issuer}/v1/keys",
    }


async def account_discovery(request: web.Request) -> web.Response:
    emu = _emu(request)
    if request.match_info["account_id"] != emu.account_id:
        return oauth_error(404, "invalid_request", "Unknown account.")
    return json_response(_discovery(f"{base_url(request)}/oidc/accounts/{emu.account_id}"))


async def host_discovery(request: web.Request) -> web.Response:
    # Older SDKs and Go on non-"accounts." hosts ask here; it leads to the same token endpoint.
    return json_response(_discovery(f"{base_url(request)}/oidc"))


def _basic_credentials(request: web.Request) -> tuple[str | None, str | None]:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return client_id, secret


async def token(request: web.Request) -> web.Response:
    emu = _emu(request)
    if request.match_info.get("account_id", emu.account_id) != emu.account_id:
        return oauth_error(404, "invalid_request", "Unknown account.")
    form = await request.post()
    grant = str(form.get("grant_type", ""))
    try:
        if grant == "client_credentials":
            client_id, secret = _basic_credentials(request)
            if client_id is None:
                client_id = str(form.get("client_id", ""))
                secret = str(form.get("client_secret", ""))
            principal = emu.auth.client_credentials(client_id, secret)
            who, admin = principal.client_id, principal.admin
        elif grant == TOKEN_EXCHANGE:
            subject = str(form.get("subject_token", ""))
            if not subject:
                raise OAuthError(400, "invalid_request", "subject_token is required.")
            client = form.get("client_id")
            who, admin = emu.auth.exchange(subject, str(client) if client else None)
        else:
            raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type {grant!r}.")
    except OAuthError as failure:
        return oauth_error(failure.status, failure.error, failure.description)
    expires_in = emu.config.token_expires_in
    access = emu.auth.issue(who, admin, expires_in)
    emu.save()
    scope = str(form.get("scope", "all-apis"))
    return json_response(
        {"access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": scope}
    )


async def aad_token(request: web.Request) -> web.Response:
    """Entra ID v1 client-credentials (``resource`` form field), for ``azure-client-secret``."""
    emu = _emu(request)
    form = await request.post()
    if form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    try:
        principal = emu.auth.client_credentials(
            str(form.get("client_id", "")), str(form.get("client_secret", ""))
        )
    except OAuthError as failure:
        return oauth_error(failure.status, failure.error, failure.description)
    expires_in = emu.config.token_expires_in
    access = emu.auth.issue(principal.client_id, principal.admin, expires_in)
    emu.save()
    return json_response(
        {
            "token_type": "Bearer",
            "expires_in": str(expires_in),
            "resource": str(form.get("resource", "")),
            "access_token": access,
        }
    )


def add_auth_routes(app: web.Application) -> None:
    handlers = {
        endpoints.HOST_METADATA: host_metadata,
        endpoints.ACCOUNT_DISCOVERY: account_discovery,
        endpoints.HOST_DISCOVERY: host_discovery,
        endpoints.ACCOUNT_TOKEN: token,
        endpoints.HOST_TOKEN: token,
        endpoints.AAD_TOKEN: aad_token,
    }
    for route, handler in handlers.items():
        app.router.add_route(route.method, route.template, handler)
