"""PrivateEndpointRule handlers."""

import kopf

from ncc_operator.models import RULE_PLURAL
from ncc_operator.resources.adapters import RuleAdapter
from ncc_operator.settings import Settings

from . import kinds


def register(registry: kopf.OperatorRegistry, settings: Settings) -> None:
    kinds.register(RULE_PLURAL, RuleAdapter(), settings, registry=registry)
