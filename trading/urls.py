from django.urls import path

from .api import (
    AccountMeApi,
    CancelAllAfterApi,
    DepositCreateApi,
    MarketListApi,
    OrderApi,
    OrderListCreateApi,
    WithdrawalCreateApi,
)

urlpatterns = [
    path("accounts/me", AccountMeApi.as_view(), name="account_me"),  # here, not in accounts: it shows balances
    path("markets", MarketListApi.as_view(), name="market_list"),
    path("orders", OrderListCreateApi.as_view(), name="order_list_create"),
    path("orders/cancel-all-after", CancelAllAfterApi.as_view(), name="order_cancel_all_after"),
    path("orders/by-client-id/<str:client_order_id>", OrderApi.as_view(), name="order_by_client_id"),
    path("orders/<str:order_id>", OrderApi.as_view(), name="order"),
    path("withdrawals", WithdrawalCreateApi.as_view(), name="withdrawal_create"),
    path("deposits", DepositCreateApi.as_view(), name="deposit_create"),
]
