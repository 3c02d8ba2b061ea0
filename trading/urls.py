from django.urls import path

from .api import AccountMeApi, DepositCreateApi, MarketListApi, OrderCancelApi, OrderListCreateApi, WithdrawalCreateApi

urlpatterns = [
    path("accounts/me", AccountMeApi.as_view(), name="account_me"),  # here, not in accounts: it shows balances
    path("markets", MarketListApi.as_view(), name="market_list"),
    path("orders", OrderListCreateApi.as_view(), name="order_list_create"),
    path("orders/<str:order_id>", OrderCancelApi.as_view(), name="order_cancel"),
    path("withdrawals", WithdrawalCreateApi.as_view(), name="withdrawal_create"),
    path("deposits", DepositCreateApi.as_view(), name="deposit_create"),
]
