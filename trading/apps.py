from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.roles import ADMIN, extend_group_permissions
        from kernel import jobs

        from . import (
            channels,  # noqa: F401  (registers the trading channels)
            client_messages,
            services,
        )

        client_messages.register_all()

        jobs.register("trading.settlement", services.settlements_process_pending, interval_setting="CDX_SETTLEMENT_INTERVAL_S")
        jobs.register("trading.withdrawals", services.withdrawals_process_pending, interval_setting="CDX_WITHDRAWAL_INTERVAL_S")
        jobs.register("trading.margin", services.margins_review, interval_setting="CDX_MARGIN_REVIEW_INTERVAL_S")
        jobs.register("trading.cancel_all_after", services.cancel_all_after_run, interval_setting="CDX_CANCEL_ALL_AFTER_INTERVAL_S")
        models = ("market", "order", "trade", "settlement", "balance", "deposit", "withdrawal")
        extend_group_permissions(ADMIN, [f"trading.view_{model}" for model in models] + ["trading.add_deposit", "trading.change_order"])
