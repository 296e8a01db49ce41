"""NetworkConnectivityConfig handlers."""

import kopf

from ncc_operator.models import NCC_PLURAL
from ncc_operator.resources.adapters import NccAdapter
from ncc_operator.settings import Settings

from . import kinds


def register(registry: kopf.OperatorRegistry, settings: Settings) -> None:
    kinds.register(NCC_PLURAL, NccAdapter(), settings, registry=registry)
