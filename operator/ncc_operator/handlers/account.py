"""DatabricksAccount handlers: credentials verified on change and every account resync."""

from ncc_operator.models import ACCOUNT_PLURAL
from ncc_operator.resources.adapters import AccountAdapter

from .kinds import register
from .startup import SETTINGS

register(
    ACCOUNT_PLURAL,
    AccountAdapter(resync_seconds=SETTINGS.account_resync_seconds),
    SETTINGS,
    finalizer=False,
)
