"""Operator settings from the environment (``NCC_OPERATOR_*``), with the defaults of DESIGN §3.

Read once at import of the handlers (Kopf decorators need the timer tick at import time).
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

PREFIX = "NCC_OPERATOR_"


class Settings(BaseModel):
    resync_seconds: float = Field(default=300.0, gt=0)
    """Steady-state re-observe interval of every object (jittered ±10%)."""
    fast_seconds: float = Field(default=10.0, gt=0)
    """Re-observe interval while anything is CREATING/PENDING."""
    account_resync_seconds: float = Field(default=60.0, gt=0)
    """How often accounts re-read their Secret and re-verify credentials."""
    tick_seconds: float = Field(default=5.0, gt=0)
    """Kopf timer tick; a tick does work only when the object is due."""
    metrics_port: int = Field(default=8080, ge=0, le=65535)
    """Prometheus /metrics port; 0 disables the endpoint."""
    azure_login_endpoint: str | None = None
    """Entra ID endpoint override (tests against the emulator); unset in production."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            name: env[PREFIX + name.upper()]
            for name in cls.model_fields
            if PREFIX + name.upper() in env
        }
        return cls.model_validate(values)
