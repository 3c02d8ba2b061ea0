from django.apps import AppConfig


class TradingConfig(AppConfig):
    name = "trading"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.roles import ADMIN, extend_group_permissions
        from kernel import jobs

        from . import channels  # noqa: F401  (registers the trading channels)
        from . import conf, services

        jobs.register("trading.settlement", conf.seconds("CDX_SETTLEMENT_INTERVAL_S"), services.settlements_process_pending)
        jobs.register("trading.withdrawals", conf.seconds("CDX_WITHDRAWAL_INTERVAL_S"), services.withdrawals_process_pending)
        jobs.register("trading.margin", conf.seconds("CDX_MARGIN_REVIEW_INTERVAL_S"), services.margins_review)
        models = ("market", "order", "trade", "settlement", "balance", "deposit", "withdrawal")
        extend_group_permissions(ADMIN, [f"trading.view_{model}" for model in models] + ["trading.add_deposit", "trading.change_order"])
