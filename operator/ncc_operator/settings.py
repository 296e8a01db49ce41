"""Operator settings from the environment (``NCC_OPERATOR_*``), with the defaults of DESIGN §3.

Read once at start-up by ``ncc-operator run`` / ``export`` (cli.py), which hands them to the
handlers' registration (handlers/__init__.py): nothing reads them at import.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from ncc_operator.models import DEFAULT_TOKEN_PATH

PREFIX = "NCC_OPERATOR_"


class Settings(BaseModel):
    resync_seconds: float = Field(default=300.0, gt=0)
    """Steady-state re-observe interval of every object (jittered ±10%)."""
    fast_seconds: float = Field(default=10.0, gt=0)
    """Re-observe interval while anything is CREATING/PENDING."""
    account_resync_seconds: float = Field(default=60.0, gt=0)
    """How often accounts re-read their Secret and re-verify credentials."""
    metrics_port: int = Field(default=8080, ge=0, le=65535)
    """Prometheus /metrics port; 0 disables the endpoint."""
    azure_login_endpoint: str | None = None
    """Entra ID endpoint override (tests against the emulator); unset in production."""
    workload_identity_token_path: str = Field(default=DEFAULT_TOKEN_PATH, pattern="^/")
    """The projected service-account token that ``workloadIdentity`` accounts exchange for a
    Databricks token. Operator configuration (the chart mounts it): a CR never chooses a file
    the operator reads."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Account hosts allowed besides the Databricks ones (``host`` or ``host:port``,
    comma-separated in the environment): emulators, private endpoints."""
    allow_http: bool = False
    """Allow plain ``http://`` account hosts (emulators and tests only)."""
    account_namespaces: list[str] = Field(default_factory=list)
    """Namespaces whose DatabricksAccounts are honoured (comma-separated; empty: any). The
    platform team's namespaces: whoever may create an account there holds account credentials."""
    workload_identity_namespaces: list[str] = Field(default_factory=list)
    """Namespaces whose ``workloadIdentity`` accounts may use the operator's own projected token
    (comma-separated, ``*`` for any; empty: none). Opt-in, because such an account acts with the
    identity of the operator, not of its creator."""
    outbound_ip_ranges_url: str | None = None
    """URL of the serverless outbound IP ranges Databricks publishes (``ip-ranges.json``).
    No default: the feature is off until this or ``outbound_ip_ranges_file`` is set (the URL
    third parties use is in docs/concepts.md; Databricks' page does not spell it out in the text
    we could read). https only unless ``allow_http``; the host must be ``www.databricks.com`` or on
    ``allowed_hosts``. Operator configuration: a CR never chooses what the operator fetches."""
    outbound_ip_ranges_file: str | None = Field(default=None, pattern="^/")
    """A local copy of ``ip-ranges.json`` (air-gapped clusters: mount a ConfigMap), re-read on
    every refresh. Exclusive with ``outbound_ip_ranges_url``."""
    outbound_ip_ranges_refresh_seconds: float = Field(default=86400.0, gt=0)
    """How often the ranges are fetched again (daily; a failed fetch is retried sooner and the
    last good copy is kept meanwhile)."""
    outbound_ip_ranges_configmap: str | None = Field(
        default=None, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$"
    )
    """``namespace/name`` of a ConfigMap to publish the ranges to (firewall automation reads
    it); unset: not published. Needs RBAC on that one ConfigMap (docs/operator.md)."""

    @model_validator(mode="after")
    def _one_ip_ranges_source(self) -> Settings:
        if self.outbound_ip_ranges_url and self.outbound_ip_ranges_file:
            raise ValueError(
                "set only one of NCC_OPERATOR_OUTBOUND_IP_RANGES_URL and "
                "NCC_OPERATOR_OUTBOUND_IP_RANGES_FILE"
            )
        return self

    @field_validator(
        "allowed_hosts", "account_namespaces", "workload_identity_namespaces", mode="before"
    )
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            name: env[PREFIX + name.upper()]
            for name in cls.model_fields
            if PREFIX + name.upper() in env
        }
        return cls.model_validate(values)
