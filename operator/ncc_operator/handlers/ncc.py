"""NetworkConnectivityConfig handlers."""

import kopf

from ncc_operator.models import NCC_PLURAL
from ncc_operator.resources.adapters import NccAdapter

from . import kinds
from .context import Kind


def register(registry: kopf.OperatorRegistry) -> Kind:
    return kinds.register(
        Kind(NccAdapter(), NCC_PLURAL, creates=True, indexed=lambda world, ref: world.ncc(ref)),
        registry=registry,
    )
