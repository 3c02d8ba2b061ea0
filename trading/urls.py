from django.urls import path

from .api import (
    AccountMeApi,
    CancelAllAfterApi,
    MarketListApi,
    OrderApi,
    OrderListCreateApi,
)
from .history_api import DepositListCreateApi, FillListApi, SettlementListApi, WithdrawalDetailApi, WithdrawalListCreateApi
from .market_data_api import OrderbookApi, PublicTradeListApi, TickerApi

urlpatterns = [
    path("accounts/me", AccountMeApi.as_view(), name="account_me"),  # here, not in accounts: it shows balances
    path("markets", MarketListApi.as_view(), name="market_list"),
    # A symbol holds a slash (AAPL/USDC), written as is or as %2F.
    path("markets/<path:symbol>/orderbook", OrderbookApi.as_view(), name="market_orderbook"),
    path("markets/<path:symbol>/trades", PublicTradeListApi.as_view(), name="market_trades"),
    path("markets/<path:symbol>/ticker", TickerApi.as_view(), name="market_ticker"),
    path("orders", OrderListCreateApi.as_view(), name="order_list_create"),
    path("orders/cancel-all-after", CancelAllAfterApi.as_view(), name="order_cancel_all_after"),
    path("orders/by-client-id/<str:client_order_id>", OrderApi.as_view(), name="order_by_client_id"),
    path("orders/<str:order_id>", OrderApi.as_view(), name="order"),
    path("trades", FillListApi.as_view(), name="fill_list"),
    path("settlements", SettlementListApi.as_view(), name="settlement_list"),
    path("withdrawals", WithdrawalListCreateApi.as_view(), name="withdrawal_list_create"),
    path("withdrawals/<str:withdrawal_id>", WithdrawalDetailApi.as_view(), name="withdrawal_detail"),
    path("deposits", DepositListCreateApi.as_view(), name="deposit_list_create"),
]
