"""PrivateEndpointRule handlers."""

import kopf

from ncc_operator.models import RULE_PLURAL
from ncc_operator.resources.adapters import RuleAdapter

from . import kinds
from .context import Kind


def register(registry: kopf.OperatorRegistry) -> Kind:
    return kinds.register(
        Kind(RuleAdapter(), RULE_PLURAL, creates=True, indexed=lambda world, ref: world.rule(ref)),
        registry=registry,
    )
