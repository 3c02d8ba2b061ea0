from django.apps import AppConfig


class AuctionsConfig(AppConfig):
    name = "auctions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.roles import ADMIN, COMPLIANCE, extend_group_permissions
        from kernel import jobs

        from . import (
            channels,  # noqa: F401  (registers the auction channels)
            client_messages,
            services,
        )

        client_messages.register_all()

        jobs.register("auctions.lifecycle", services.auctions_step_due, interval_setting="CDX_AUCTION_STEP_INTERVAL_S")
        views = [f"auctions.view_{model}" for model in ("auction", "bid", "supplytranche", "auctionresult")]
        extend_group_permissions(COMPLIANCE, views)
        extend_group_permissions(ADMIN, views)
