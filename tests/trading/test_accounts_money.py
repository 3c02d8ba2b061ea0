from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from kernel.errors import ServiceError
from tests.event_shapes import assert_event_shape
from tests.support.event_log import published
from tests.trading.conftest import approve, balance, fund
from trading.models import Market
from trading.services import (
    deposit_create,
    margins_review,
    order_cancel,
    order_place,
    settlements_process_pending,
    withdrawal_request,
    withdrawals_process_pending,
)

AAPL = "AAPL/USDC"


def test_deposit_is_recorded_credited_and_announced(trader, markets):
    deposit_id = deposit_create(account_id=trader.account.id, currency="USDC", amount=D("10000"), transaction_hash="0xabcd")
    assert deposit_id.startswith("dep_")
    assert balance(trader, "USDC") == (D("10000"), D("0"))
    received, updated = published("account_notifications", trader.account.id)
    assert_event_shape(received)
    assert_event_shape(updated)
    assert (received["type"], received["deposit_id"], received["amount"], received["transaction_hash"]) == (
        "deposit_received", deposit_id, D("10000"), "0xabcd"
    )
    assert (updated["type"], updated["total_balance"], updated["available_balance"]) == ("balance_updated", D("10000"), D("10000"))
    assert (received["sequence"], updated["sequence"]) == (1, 2)


def test_deposit_refuses_bad_input(trader, markets):
    for kwargs, field in (
        ({"amount": D("0")}, "amount"),
        ({"amount": D("0.000000001")}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"transaction_hash": " "}, "transaction_hash"),
    ):
        with pytest.raises(ValidationError) as refused:
            deposit_create(**{"account_id": trader.account.id, "currency": "USDC", "amount": D("1"), "transaction_hash": "0x1", **kwargs})
        assert field in refused.value.message_dict
    with pytest.raises(ServiceError) as error:
        deposit_create(account_id="acc_0000000000000000", currency="USDC", amount=D("1"), transaction_hash="0x1")
    assert (error.value.code, error.value.status_code) == ("ACCOUNT_NOT_FOUND", 404)
    assert balance(trader, "USDC") == (D("0"), D("0"))


def test_withdrawal_is_processed_by_the_job_with_a_transaction_hash(buyer):
    withdrawal = withdrawal_request(account_id=buyer.account.id, currency="USDC", amount=D("5000"), address="0xdest")
    assert withdrawal.status == "pending" and balance(buyer, "USDC") == (D("995000"), D("5000"))
    assert withdrawals_process_pending() == 1
    withdrawal.refresh_from_db()
    assert withdrawal.status == "processed" and withdrawal.transaction_hash.startswith("0x")
    assert balance(buyer, "USDC") == (D("995000"), D("0"))
    processed = published("account_notifications", buyer.account.id, "withdrawal_processed")[0]
    assert_event_shape(processed)
    assert processed["amount"] == D("5000") and processed["transaction_hash"] == withdrawal.transaction_hash
    assert published("account_notifications", buyer.account.id, "balance_updated")[-1]["total_balance"] == D("995000")
    assert withdrawals_process_pending() == 0


def test_credit_line_lets_a_trader_buy_beyond_cash_and_margin_call_follows(make_user, seller):
    borrower = make_user()
    approve(borrower)
    fund(borrower, USDC="10000")
    borrower.account.credit_line = D("20000")
    borrower.account.save(update_fields=["credit_line"])
    order_place(account_id=seller.account.id, symbol=AAPL, side="sell", order_type="limit", quantity=D("100"), price=D("150"))
    order_place(account_id=borrower.account.id, symbol=AAPL, side="buy", order_type="limit", quantity=D("100"), price=D("150"))
    usdc = borrower.account.balances.get(currency="USDC")
    assert (usdc.available, usdc.reserved, usdc.borrowed) == (D("0"), D("15015"), D("5015"))
    settlements_process_pending()
    # 100 AAPL at 150 = 15000 of assets against 5015 borrowed: level (15000 - 5015) / 15000 = 0.6657
    assert not published("account_notifications", borrower.account.id, "margin_call")
    # The price falls to 60: (6000 - 5015) / 6000 = 0.1642, below the warning level.
    Market.objects.filter(pk=AAPL).update(last_price=D("60"))
    margins_review()
    call = published("account_notifications", borrower.account.id, "margin_call")
    assert len(call) == 1
    assert_event_shape(call[0])
    assert (call[0]["current_margin_level"], call[0]["warning_level"], call[0]["liquidation_level"]) == (
        D("0.1642"), D("0.5"), D("0.3")
    )
    assert "below 50%" in call[0]["message"]
    margins_review()
    assert len(published("account_notifications", borrower.account.id, "margin_call")) == 1  # once per fall


def test_credit_is_repaid_first_and_capped(make_user, markets):
    borrower = make_user()
    approve(borrower)
    fund(borrower, USDC="100")
    borrower.account.credit_line = D("100")
    borrower.account.save(update_fields=["credit_line"])
    with pytest.raises(ServiceError) as refused:
        order_place(account_id=borrower.account.id, symbol=AAPL, side="buy", order_type="limit", quantity=D("2"), price=D("100"))
    assert refused.value.details["available"] == D("200")  # cash plus credit headroom
    order = order_place(account_id=borrower.account.id, symbol=AAPL, side="buy", order_type="limit", quantity=D("1"), price=D("150"))
    assert borrower.account.balances.get(currency="USDC").borrowed == D("50.15")
    with pytest.raises(ServiceError) as error:  # borrowed money is not withdrawn
        withdrawal_request(account_id=borrower.account.id, currency="USDC", amount=D("1"), address="0x1")
    assert error.value.code == "INSUFFICIENT_FUNDS"
    order_cancel(order_id=order.id, account_id=borrower.account.id)
    usdc = borrower.account.balances.get(currency="USDC")
    assert (usdc.available, usdc.reserved, usdc.borrowed) == (D("100"), D("0"), D("0"))
