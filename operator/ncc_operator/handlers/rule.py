"""PrivateEndpointRule handlers."""

from ncc_operator.models import RULE_PLURAL
from ncc_operator.resources.adapters import RuleAdapter

from .kinds import register
from .startup import SETTINGS

register(RULE_PLURAL, RuleAdapter(), SETTINGS)
