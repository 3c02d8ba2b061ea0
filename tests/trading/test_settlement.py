from decimal import Decimal as D

import pytest

from kernel import jobs
from tests.event_shapes import assert_event_shape
from tests.support.event_log import published
from tests.trading.conftest import balance
from trading.ledger import LedgerRejected, LedgerUnavailable
from trading.models import Settlement, Trade
from trading.services import order_place, settlements_process_pending

AAPL = "AAPL/USDC"


class RejectingLedger:
    def settle_dvp(self, instruction):
        raise LedgerRejected("insufficient_funds", "Insufficient cash balance for settlement")

    def transfer_out(self, instruction):
        raise LedgerRejected("address_blocked", "The destination address is blocked")


class UnreachableLedger:
    def settle_dvp(self, instruction):
        raise LedgerUnavailable("connection refused")

    def transfer_out(self, instruction):
        raise LedgerUnavailable("connection refused")


def trade_100_at_150_50(buyer, seller):
    for user, side in ((seller, "sell"), (buyer, "buy")):
        order_place(
            account_id=user.account.id, symbol=AAPL, side=side, order_type="limit", quantity=D("100"), price=D("150.50")
        )


def test_settlement_moves_the_funds(buyer, seller):
    trade_100_at_150_50(buyer, seller)
    assert "trading.settlement" in jobs.registered()
    assert settlements_process_pending() == 1  # what the job runs (run_due itself is used in the WebSocket tests)
    settlement = Settlement.objects.get()
    assert settlement.status == "confirmed" and settlement.dvp_transaction_id.startswith("dvp_tx_")
    assert Trade.objects.get().status == "settled"
    assert balance(buyer, "USDC") == (D("1000000") - D("15065.05"), D("0"))
    assert balance(buyer, "AAPL") == (D("100"), D("0"))
    assert balance(seller, "AAPL") == (D("900"), D("0"))
    assert balance(seller, "USDC") == (D("100000") + D("15034.95"), D("0"))
    for account in (buyer.account.id, seller.account.id):
        events = published("settlements", account)
        assert [e["type"] for e in events] == ["settlement_created", "settlement_confirmed"]
        for event in events:
            assert_event_shape(event)
        assert events[0]["amount"] == D("15050") and events[0]["quantity"] == D("100")
        assert events[1]["dvp_transaction_id"] == settlement.dvp_transaction_id
    last = published("account_notifications", buyer.account.id, "balance_updated")[-1]
    # 984934.95 USDC + 100 AAPL at the last price 150.50
    assert (last["total_balance"], last["available_balance"], last["reserved_balance"]) == (
        D("999984.95"), D("999984.95"), D("0")
    )
    assert settlements_process_pending() == 0  # settled once only


def test_settlement_failure_restores_balances_and_cancels_the_trade(buyer, seller, settings):
    settings.CDX_LEDGER_ADAPTER = "tests.trading.test_settlement.RejectingLedger"
    trade_100_at_150_50(buyer, seller)
    assert settlements_process_pending() == 1
    settlement = Settlement.objects.get()
    assert settlement.status == "failed" and settlement.failure_reason == "insufficient_funds"
    assert Trade.objects.get().status == "cancelled"
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    assert balance(buyer, "AAPL") == (D("0"), D("0"))
    assert balance(seller, "AAPL") == (D("1000"), D("0"))
    assert balance(seller, "USDC") == (D("100000"), D("0"))
    for account in (buyer.account.id, seller.account.id):
        failed = published("settlements", account, "settlement_failed")[0]
        assert_event_shape(failed)
        assert failed["reason"] == "insufficient_funds"
        assert failed["error_message"] == "Insufficient cash balance for settlement"
        cancelled = published("trades", account, "trade_cancelled")[0]
        assert_event_shape(cancelled)
        assert cancelled["reason"] == "settlement_failed"
        assert cancelled["sequence"] > published("trades", account, "trade_executed")[0]["sequence"]


def test_unreachable_ledger_leaves_the_settlement_pending_for_a_retry(buyer, seller, settings):
    settings.CDX_LEDGER_ADAPTER = "tests.trading.test_settlement.UnreachableLedger"
    trade_100_at_150_50(buyer, seller)
    assert settlements_process_pending() == 0
    settlement = Settlement.objects.get()
    assert settlement.status == "pending" and settlement.attempts == 1
    settings.CDX_LEDGER_ADAPTER = "trading.ledger.LocalLedger"
    assert settlements_process_pending() == 1
    settlement.refresh_from_db()
    assert settlement.status == "confirmed" and settlement.attempts == 2


@pytest.mark.parametrize("ledger", ["tests.trading.test_settlement.RejectingLedger"])
def test_failed_withdrawal_returns_the_funds(buyer, settings, ledger):
    from trading.services import withdrawal_request, withdrawals_process_pending

    settings.CDX_LEDGER_ADAPTER = ledger
    withdrawal = withdrawal_request(account_id=buyer.account.id, currency="USDC", amount=D("10"), address="0xabc")
    assert balance(buyer, "USDC") == (D("999990"), D("10"))
    assert withdrawals_process_pending() == 1
    withdrawal.refresh_from_db()
    assert withdrawal.status == "failed" and withdrawal.failure_reason == "The destination address is blocked"
    assert balance(buyer, "USDC") == (D("1000000"), D("0"))
    assert not published("account_notifications", buyer.account.id, "withdrawal_processed")
