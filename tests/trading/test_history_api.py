"""The caller's own lists over REST: orders, fills (GET /v1/trades), settlements, deposits, withdrawals.
Each is {results, next_cursor}, newest first, filtered, own account only, and one page costs the same few
statements however many rows it holds."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kernel.json import loads
from tests.trading.conftest import approve, fund
from tests.trading.test_api import client_for, get
from tests.trading.test_matching import place
from trading.models import Order, Settlement, Trade
from trading.services import order_cancel, settlements_process_pending, withdrawal_request, withdrawals_process_pending

pytestmark = pytest.mark.django_db


def all_pages(client, path: str, limit: int) -> list[dict]:
    rows, cursor = [], None
    while True:
        separator = "&" if "?" in path else "?"
        status, page = get(client, f"{path}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, page
        rows += page["results"]
        if not (cursor := page["next_cursor"]):
            return rows


def test_orders_page_newest_first_and_filter_by_symbol_status_side_and_open(buyer, seller):
    resting = [place(buyer, "buy", "1", str(price)) for price in range(90, 95)]
    googl = place(buyer, "buy", "1", "50", symbol="GOOGL/USDC")
    order_cancel(order_id=resting[0].id, account_id=buyer.account.id)
    sold = place(seller, "sell", "1", "200")  # another account's: never listed
    client = client_for(buyer)
    listed = all_pages(client, "/v1/orders", limit=2)
    assert [o["order_id"] for o in listed] == [o.id for o in sorted([*resting, googl], key=lambda o: (o.created_at, o.id), reverse=True)]
    assert sold.id not in {o["order_id"] for o in listed}

    def ids(query: str) -> set[str]:
        return {o["order_id"] for o in all_pages(client, f"/v1/orders?{query}", limit=100)}

    assert ids("symbol=GOOGL/USDC") == {googl.id}
    assert ids("status=cancelled") == {resting[0].id}
    assert ids("open=true") == {o.id for o in [*resting[1:], googl]}
    assert ids("open=false") == {resting[0].id}
    assert ids("side=sell") == set()
    assert ids("side=buy&symbol=AAPL/USDC&open=true") == {o.id for o in resting[1:]}


def test_orders_filter_by_client_order_id(buyer, seller):
    tagged, untagged = place(buyer, "buy", "1", "90"), place(buyer, "buy", "1", "91")
    theirs = place(seller, "sell", "1", "200")
    Order.objects.filter(pk__in=[tagged.pk, theirs.pk]).update(client_order_id="grid-1")  # the same id, two accounts
    status, page = get(client_for(buyer), "/v1/orders?client_order_id=grid-1")
    assert status == 200 and [o["order_id"] for o in page["results"]] == [tagged.id] and untagged.id != tagged.id
    assert get(client_for(buyer), "/v1/orders?client_order_id=grid-2")[1]["results"] == []


@pytest.mark.parametrize("query, field", [("status=done", "status"), ("side=long", "side"), ("open=maybe", "open")])
def test_an_unknown_order_filter_value_is_a_validation_error(trader, query, field):
    status, body = get(client_for(trader), f"/v1/orders?{query}")
    assert status == 400 and body["code"] == "VALIDATION_ERROR" and field in body["errors"]


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/trades", "/v1/settlements", "/v1/deposits", "/v1/withdrawals"])
@pytest.mark.parametrize("limit", ["0", "-1", "1001", "100000000000000000000", "abc"])
def test_every_list_refuses_a_bad_limit(trader, path, limit):
    status, body = get(client_for(trader), f"{path}?limit={limit}")
    assert status == 400 and body["code"] == "VALIDATION_ERROR" and "limit" in body["errors"]


@pytest.mark.parametrize("path", ["/v1/orders", "/v1/trades", "/v1/settlements", "/v1/deposits", "/v1/withdrawals"])
def test_every_list_refuses_a_tampered_cursor_and_another_accounts(buyer, make_user, path):
    other = make_user()
    approve(other)
    fund(other, USDC="1000")
    for price in ("10", "11"):
        place(other, "buy", "1", price)
    theirs = get(client_for(other), "/v1/orders?limit=1")[1]["next_cursor"]
    assert theirs and get(client_for(other), f"/v1/orders?cursor={theirs}")[0] == 200
    for cursor in (theirs, theirs[:-1] + ("A" if theirs[-1] != "A" else "B"), "garbage"):
        status, body = get(client_for(buyer), f"{path}?cursor={cursor}")
        assert status == 400 and body["code"] == "INVALID_CURSOR", (path, body)


def test_fills_show_each_side_with_its_order_fee_and_liquidity(buyer, seller):
    maker = place(seller, "sell", "5", "100")
    taker = place(buyer, "buy", "3", "100")
    trade = Trade.objects.get()
    buyer_fills = get(client_for(buyer), "/v1/trades")[1]
    seller_fills = get(client_for(seller), "/v1/trades")[1]
    assert buyer_fills["next_cursor"] is None and len(buyer_fills["results"]) == 1
    bought, sold = buyer_fills["results"][0], seller_fills["results"][0]
    assert bought["trade_id"] == sold["trade_id"] == trade.id
    assert (bought["order_id"], bought["side"], bought["liquidity"]) == (taker.id, "buy", "taker")
    assert (sold["order_id"], sold["side"], sold["liquidity"]) == (maker.id, "sell", "maker")
    assert bought["price"] == D("100") and bought["quantity"] == D("3") and bought["gross_amount"] == D("300")
    assert bought["commission"] == trade.commission and bought["fee_currency"] == "USDC"
    assert bought["net_amount"] == D("300") + trade.commission and sold["net_amount"] == D("300") - trade.commission
    assert bought["status"] == "executed" and bought["settlement_status"] == "pending"
    assert set(bought) == {
        "trade_id", "order_id", "symbol", "side", "price", "quantity", "gross_amount", "commission", "fee_currency",
        "net_amount", "liquidity", "status", "settlement_status", "executed_at",
    }  # fmt: skip
    settlements_process_pending()
    settled = get(client_for(buyer), "/v1/trades")[1]["results"][0]
    assert settled["status"] == "settled" and settled["settlement_status"] == "confirmed"


def test_fills_filter_by_symbol_and_by_the_callers_order(buyer, seller):
    maker = place(seller, "sell", "5", "100")
    first, second = place(buyer, "buy", "1", "100"), place(buyer, "buy", "2", "100")
    place(seller, "sell", "1", "50", symbol="GOOGL/USDC")
    googl = place(buyer, "buy", "1", "50", symbol="GOOGL/USDC")
    client = client_for(buyer)
    fills = all_pages(client, "/v1/trades", limit=1)
    assert [f["order_id"] for f in fills] == [googl.id, second.id, first.id]
    assert [f["order_id"] for f in all_pages(client, "/v1/trades?symbol=AAPL/USDC", limit=10)] == [second.id, first.id]
    assert [f["quantity"] for f in all_pages(client, f"/v1/trades?order_id={second.id}", limit=10)] == [D("2")]
    # The seller's order is not the buyer's: filtering by it shows the buyer nothing.
    assert all_pages(client, f"/v1/trades?order_id={maker.id}", limit=10) == []
    assert len(all_pages(client_for(seller), f"/v1/trades?order_id={maker.id}", limit=10)) == 2


def test_settlements_list_the_callers_trades_settlements(buyer, seller, make_user):
    place(seller, "sell", "2", "100")
    place(buyer, "buy", "2", "100")
    settlements_process_pending()
    settlement = Settlement.objects.select_related("trade").get()
    for user in (buyer, seller):
        page = get(client_for(user), "/v1/settlements")[1]
        assert [s["settlement_id"] for s in page["results"]] == [settlement.id]
        row = page["results"][0]
        assert row["trade_id"] == settlement.trade_id and row["status"] == "confirmed" and row["dvp_transaction_id"]
        assert row["quantity"] == D("2") and row["amount"] == D("200") and row["symbol"] == "AAPL/USDC"
    assert get(client_for(buyer), "/v1/settlements?status=failed")[1]["results"] == []
    assert get(client_for(make_user()), "/v1/settlements")[1] == {"results": [], "next_cursor": None}


def test_deposits_are_listed_to_their_owner_while_staff_still_post_them(buyer, trader, administrator):
    fund(buyer, AAPL="5")
    listed = all_pages(client_for(buyer), "/v1/deposits", limit=1)
    assert [(d["currency"], d["amount"]) for d in listed] == [("AAPL", D("5")), ("USDC", D("1000000"))]
    assert [d["currency"] for d in all_pages(client_for(buyer), "/v1/deposits?currency=AAPL", limit=5)] == ["AAPL"]
    assert get(client_for(trader), "/v1/deposits")[1] == {"results": [], "next_cursor": None}
    body = {"account_id": trader.account.id, "currency": "USDC", "amount": 7, "transaction_hash": "0xabc"}
    assert client_for(trader).post("/v1/deposits", body, format="json").status_code == 403
    assert client_for(administrator).post("/v1/deposits", body, format="json").status_code == 201
    assert [d["amount"] for d in get(client_for(trader), "/v1/deposits")[1]["results"]] == [D("7")]
    assert get(client_for(administrator), "/v1/deposits")[0] == 403  # staff post deposits, traders read their own


def test_withdrawals_show_their_outcome_to_their_owner_only(buyer, trader):
    client = client_for(buyer)
    response = client.post("/v1/withdrawals", {"currency": "USDC", "amount": 25, "address": "0xdest"}, format="json")
    assert response.status_code == 201
    created = loads(response.content)
    assert created["status"] == "pending" and created["processed_at"] is None and created["failure_reason"] == ""
    status, listed = get(client, "/v1/withdrawals")
    assert status == 200 and [w["withdrawal_id"] for w in listed["results"]] == [created["withdrawal_id"]]
    assert get(client, "/v1/withdrawals?status=processed")[1]["results"] == []
    status, one = get(client, f"/v1/withdrawals/{created['withdrawal_id']}")
    assert status == 200 and one == created
    status, refused = get(client_for(trader), f"/v1/withdrawals/{created['withdrawal_id']}")
    assert status == 404 and refused["code"] == "WITHDRAWAL_NOT_FOUND"
    assert get(client, "/v1/withdrawals/wth_0000000000000000")[0] == 404
    assert get(client_for(trader), "/v1/withdrawals")[1] == {"results": [], "next_cursor": None}
    withdrawals_process_pending()
    processed = get(client, "/v1/withdrawals")[1]["results"][0]
    assert processed["status"] == "processed" and processed["transaction_hash"] and processed["processed_at"]


def test_a_read_only_api_key_reads_every_list(buyer):
    from tests.accounts.test_api_keys import create_key, key_client

    reader = key_client(create_key(buyer, scopes=["read"])["key"])
    for path in ("/v1/orders", "/v1/trades", "/v1/settlements", "/v1/deposits", "/v1/withdrawals"):
        assert reader.get(path).status_code == 200, path


def statements_of(client, path: str) -> int:
    client.get(path)  # warm: the first request of a test may load content types and the like
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    assert len(loads(response.content)["results"]) > 0, path
    return len(captured.captured_queries)


# Per request: the JWT's user with their roles and account (one statement), then the page itself (one).
STATEMENTS = {"/v1/orders": 2, "/v1/trades": 2, "/v1/settlements": 2, "/v1/deposits": 2, "/v1/withdrawals": 2}


def test_a_page_costs_the_same_few_statements_however_many_rows(buyer, seller):
    client = client_for(buyer)

    def trade_once() -> None:
        place(seller, "sell", "1", "100")
        place(buyer, "buy", "1", "100")
        withdrawal_request(account_id=buyer.account.id, currency="USDC", amount=D("1"), address="addr")

    trade_once()
    one = {path: statements_of(client, path) for path in STATEMENTS}
    for _ in range(5):
        trade_once()
    many = {path: statements_of(client, path) for path in STATEMENTS}
    assert one == many == STATEMENTS
