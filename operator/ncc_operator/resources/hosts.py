"""Which hosts the operator sends credentials to: Databricks account hosts, and nothing else.

A DatabricksAccount chooses its ``spec.host``, and every request to it carries a credential
(an OAuth secret, a PAT, or the pod's own service-account token exchanged for a Databricks
token). A tenant must not be able to point that at a server it controls, so the host must be one
of the Databricks account hosts (per cloud and sovereign cloud) or be on the operator-level allow
list (an emulator, a private endpoint), plain ``http`` only when the operator was started with
an explicit flag, and never with userinfo, a query or a path. Checked before any Secret or token
file is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ncc_operator.reconcile import NotAllowed

DATABRICKS_ACCOUNT_HOSTS = frozenset(
    {
        # AWS commercial, GovCloud and DoD (databricks-sdk environments, Terraform docs).
        "accounts.cloud.databricks.com",
        "accounts.cloud.databricks.us",
        "accounts-dod.cloud.databricks.mil",
        # Azure (public cloud).
        "accounts.azuredatabricks.net",
        # GCP.
        "accounts.gcp.databricks.com",
    }
)


@dataclass(frozen=True)
class HostPolicy:
    """``allowed``: extra ``host`` or ``host:port`` entries; ``allow_http``: plain HTTP too."""

    allowed: frozenset[str] = field(default_factory=frozenset)
    allow_http: bool = False

    @classmethod
    def of(cls, allowed: Iterable[str], *, allow_http: bool) -> HostPolicy:
        return cls(frozenset(a.strip().lower() for a in allowed if a.strip()), allow_http)

    def check(self, url: str) -> None:
        """Raise :class:`NotAllowed` unless ``url`` is an account host this operator may call."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise NotAllowed(f"spec.host {url!r} is not a valid URL: {error}.") from None
        host = (parts.hostname or "").lower()
        if parts.username is not None or parts.password is not None:
            raise NotAllowed(
                "spec.host must not carry a user name or password (it would be sent to the host "
                "and logged); use spec.auth and a Secret."
            )
        if parts.query or parts.fragment or parts.path not in ("", "/"):
            raise NotAllowed(f"spec.host must be scheme://host[:port] only, got {url!r}.")
        schemes = ("https", "http") if self.allow_http else ("https",)
        if parts.scheme not in schemes:
            raise NotAllowed(
                f"spec.host must use https (got {parts.scheme or 'no scheme'}); plain http is "
                "only for an operator started with --allow-http (emulators, tests)."
            )
        if host in DATABRICKS_ACCOUNT_HOSTS:
            return
        if host in self.allowed or (port is not None and f"{host}:{port}" in self.allowed):
            return
        raise NotAllowed(
            f"spec.host {host} is not a Databricks account host "
            f"({', '.join(sorted(DATABRICKS_ACCOUNT_HOSTS))}) nor on this operator's allow list; "
            "the operator sends credentials only to those. Remove spec.host to use the cloud's "
            "default, or ask the platform team to add the host to the operator's allowed hosts."
        )
