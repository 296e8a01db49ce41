"""NetworkConnectivityConfig handlers."""

from ncc_operator.models import NCC_PLURAL
from ncc_operator.resources.adapters import NccAdapter

from .kinds import register
from .startup import SETTINGS

register(NCC_PLURAL, NccAdapter(), SETTINGS)
