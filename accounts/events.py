"""The channel accounts own; its events (balances, deposits, withdrawals, margin calls) are declared by trading."""

ACCOUNT_NOTIFICATIONS = "account_notifications"
