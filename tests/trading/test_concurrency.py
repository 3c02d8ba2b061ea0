"""Crossing orders from several threads and processes at once: the market lock keeps matching
serial and the balance checks keep every account solvent (no double spend, no overfill)."""

import json
import subprocess
import sys
import threading
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.db import connection, connections
from django.db.models import Sum

from kernel.errors import ServiceError
from tests.support.ci import required_in_ci
from tests.trading.conftest import approve, fund
from trading.models import Balance, Order, Trade
from trading.services import order_place, settlements_process_pending

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
AAPL = "AAPL/USDC"


def shared_database_url() -> str | None:
    """A URL other processes can open for the test database, or None when it lives in memory."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():  # type: ignore[attr-defined]  # SQLite's wrapper has it
        return f"sqlite:///{db['NAME']}"
    return None


def require_shared_database():
    required_in_ci(
        shared_database_url() is not None,
        "the test database is an in-memory SQLite database, which other threads and processes cannot share",
    )


def funded(make_user, **amounts):
    user = make_user()
    approve(user)
    fund(user, **amounts)
    return user.account


def assert_books_balance(*accounts) -> None:
    """Nothing negative, nothing overfilled, and every held unit accounted for by an order or a trade."""
    assert not Balance.objects.filter(available__lt=0).exists()
    assert not Balance.objects.filter(reserved__lt=0).exists()
    for order in Order.objects.all():
        assert D("0") <= order.filled <= order.quantity
        traded = Trade.objects.filter(**{f"{order.side}_order": order}).aggregate(q=Sum("quantity"))["q"] or D("0")
        assert traded == order.filled, order.id
    for account in accounts:
        for balance in account.balances.all():
            buying = {"account": account, "side": "buy", "market__quote": balance.currency}
            selling = {"account": account, "side": "sell", "market__base": balance.currency}
            open_orders = sum(
                Order.objects.filter(**side).aggregate(r=Sum("reserved"))["r"] or 0 for side in (buying, selling)
            )
            pending = sum(
                t.gross_amount + t.commission
                for t in Trade.objects.filter(buyer=account, status="executed", market__quote=balance.currency)
            ) + sum(t.quantity for t in Trade.objects.filter(seller=account, status="executed", market__base=balance.currency))
            assert balance.reserved == open_orders + pending, (account.id, balance.currency)


def test_threads_racing_for_the_same_funds_never_double_spend(make_user, markets):
    require_shared_database()
    seller = funded(make_user, AAPL="50")
    buyers = [funded(make_user, USDC="100000") for _ in range(3)]
    poor = funded(make_user, USDC="1001")  # enough for exactly one 10 @ 100 order
    order_place(account_id=seller.id, symbol=AAPL, side="sell", order_type="limit", quantity=D("50"), price=D("100"))
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def buy(account):
        try:
            start.wait()
            order_place(account_id=account.id, symbol=AAPL, side="buy", order_type="limit", quantity=D("10"), price=D("100"))
            outcomes.append("ok")
        except ServiceError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buy, args=(account,)) for account in buyers * 2 + [poor] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["INSUFFICIENT_FUNDS"] * 3 + ["ok"] * 7
    assert Order.objects.filter(account=poor).count() == 1
    assert Trade.objects.aggregate(q=Sum("quantity"))["q"] == D("50")  # the 50 on offer, never more
    assert Order.objects.get(account=seller).status == "filled"
    assert_books_balance(seller, poor, *buyers)
    settlements_process_pending()
    assert_books_balance(seller, poor, *buyers)
    total_usdc = Balance.objects.filter(currency="USDC").aggregate(t=Sum("available") + Sum("reserved"))["t"]
    fees = 2 * Trade.objects.aggregate(f=Sum("commission"))["f"]
    assert total_usdc + fees == D("300000") + D("1001")


def test_processes_crossing_at_once_keep_every_balance_exact(make_user, markets):
    require_shared_database()
    database_url = shared_database_url()
    assert database_url is not None  # require_shared_database failed or skipped otherwise
    seller = funded(make_user, AAPL="30")
    buyer = funded(make_user, USDC="3003")  # 30 units at 100 plus 0.1 % commission
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.trading.order_worker", database_url, account.id, side, "20", "100"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for account, side in [(seller, "sell"), (buyer, "buy")] * 2
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=90)
        assert worker.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    sells, buys = results[0::2], results[1::2]
    assert sum(r["accepted"] for r in sells) == 30 and sum(r["refused"] for r in sells) == 10
    assert sum(r["accepted"] for r in buys) == 30 and sum(r["refused"] for r in buys) == 10
    assert Trade.objects.aggregate(q=Sum("quantity"))["q"] == D("30")
    assert not Order.objects.filter(status__in=["open", "partially_filled"]).exists()
    assert_books_balance(seller, buyer)
    assert settlements_process_pending() == 30
    assert (seller.balances.get(currency="AAPL").available, buyer.balances.get(currency="AAPL").available) == (0, 30)
    assert buyer.balances.get(currency="USDC").available == 0
    assert seller.balances.get(currency="USDC").available == D("3000") - D("3")


def test_two_markets_traded_both_ways_at_once_do_not_deadlock(make_user, markets):
    require_shared_database()
    alice = funded(make_user, USDC="1000000", AAPL="1000", GOOGL="1000")
    bob = funded(make_user, USDC="1000000", AAPL="1000", GOOGL="1000")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def trade(account, symbol, side):
        try:
            start.wait()
            for _ in range(10):
                order_place(account_id=account.id, symbol=symbol, side=side, order_type="limit", quantity=D("1"), price=D("100"))
        except BaseException as error:  # a deadlock or lock timeout would land here
            errors.append(error)
        finally:
            connections.close_all()

    plan = [(a, s, side) for s in ("AAPL/USDC", "GOOGL/USDC") for a, side in ((alice, "buy"), (bob, "sell"), (bob, "buy"), (alice, "sell"))]
    threads = [threading.Thread(target=trade, args=args) for args in plan]
    for thread in threads:
        thread.start()
    def settle() -> None:
        settlements_process_pending()
        connections.close_all()

    settling = threading.Thread(target=settle)
    settling.start()
    for thread in [*threads, settling]:
        thread.join(timeout=90)
    assert errors == [], [str(e) for e in errors]
    assert Order.objects.count() == 80
    assert_books_balance(alice, bob)
