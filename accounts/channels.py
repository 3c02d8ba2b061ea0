from streams.registry import account_channel, register

from .events import ACCOUNT_NOTIFICATIONS
from .selectors import account_exists

register(
    account_channel(
        ACCOUNT_NOTIFICATIONS,
        "account notifications",
        account_exists=lambda account_id: account_exists(account_id=account_id),
    )
)
