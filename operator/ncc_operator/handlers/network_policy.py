"""NetworkPolicy handlers."""

import kopf

from ncc_operator.models import POLICY_PLURAL
from ncc_operator.resources.adapters import PolicyAdapter

from . import kinds
from .context import Kind


def register(registry: kopf.OperatorRegistry) -> Kind:
    return kinds.register(
        Kind(
            PolicyAdapter(),
            POLICY_PLURAL,
            creates=True,
            indexed=lambda world, ref: world.policy(ref),
        ),
        registry=registry,
    )
