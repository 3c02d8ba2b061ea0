from streams.registry import account_channel, register

from .selectors import account_exists

register(
    account_channel(
        "account_notifications",
        "account notifications",
        account_exists=lambda account_id: account_exists(account_id=account_id),
    )
)
