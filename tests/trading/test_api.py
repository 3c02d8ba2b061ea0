from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from kernel.json import loads
from tests.conftest import token_for
from tests.trading.conftest import approve, balance, fund
from trading.models import Deposit, Order, Withdrawal


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def post(client, path, body):
    response = client.post(path, body, format="json")
    return response.status_code, loads(response.content)


def get(client, path):
    response = client.get(path)
    return response.status_code, loads(response.content)


def test_markets_are_listed_for_any_user(officer, markets):
    response = client_for(officer).get("/v1/markets")
    assert response.status_code == 200
    body = loads(response.content)
    assert [m["symbol"] for m in body] == ["AAPL/USDC", "GOOGL/USDC"]
    assert body[0]["tick_size"] == D("0.01") and body[0]["lot_size"] == D("1") and body[0]["base"] == "AAPL"
    assert APIClient().get("/v1/markets").status_code == 401


def test_place_list_and_cancel_an_order(buyer):
    client = client_for(buyer)
    status, body = post(
        client, "/v1/orders", {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 10, "price": 150.5}
    )
    assert status == 201, body
    assert body["order_id"].startswith("ord_") and body["status"] == "open" and body["price"] == D("150.5")
    listed = loads(client.get("/v1/orders").content)
    assert [o["order_id"] for o in listed["results"]] == [body["order_id"]] and listed["next_cursor"] is None
    assert loads(client.get("/v1/orders?status=filled").content) == {"results": [], "next_cursor": None}
    for unknown in ("bogus", ""):  # not an order status: refused, not an empty list
        refused = client.get(f"/v1/orders?status={unknown}")
        assert refused.status_code == 400 and "status" in loads(refused.content)["details"]["errors"]
    bad_limit = client.get("/v1/orders?limit=ten")
    assert bad_limit.status_code == 400 and "limit" in loads(bad_limit.content)["errors"]
    response = client.delete(f"/v1/orders/{body['order_id']}")
    assert response.status_code == 200
    assert loads(response.content) == {"order_id": body["order_id"], "status": "cancelled"}
    assert client.delete(f"/v1/orders/{body['order_id']}").status_code == 409


def test_another_traders_order_cannot_be_cancelled(buyer, seller):
    order = client_for(seller).post(
        "/v1/orders", {"symbol": "AAPL/USDC", "side": "sell", "order_type": "limit", "quantity": 1, "price": 151}, format="json"
    )
    order_id = loads(order.content)["order_id"]
    response = client_for(buyer).delete(f"/v1/orders/{order_id}")
    assert response.status_code == 404 and loads(response.content)["code"] == "ORDER_NOT_FOUND"
    assert client_for(buyer).delete("/v1/orders/ord_0000000000000000").status_code == 404
    assert Order.objects.get(pk=order_id).status == "open"


def test_insufficient_funds_is_a_400_that_says_so(make_user, markets):
    poor = make_user()
    fund(poor, USDC="10")
    status, body = post(
        client_for(poor), "/v1/orders", {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 150}
    )
    assert status == 400 and body["code"] == "INSUFFICIENT_FUNDS"
    assert "Insufficient funds" in body["message"] and body["details"]["currency"] == "USDC"
    assert not Order.objects.exists()


def test_insufficient_funds_message_writes_amounts_without_an_exponent(make_user, markets):
    # 100000 x 150 plus the 0.1 % fee is 15015000, which Decimal prints as 1.5015E+7.
    poor = make_user()
    approve(poor)
    fund(poor, USDC="0.0001")
    status, body = post(
        client_for(poor), "/v1/orders", {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 100000, "price": 150}
    )
    assert status == 400 and body["code"] == "INSUFFICIENT_FUNDS", body
    assert body["message"] == "Insufficient funds: this needs 15015000 USDC and 0.0001 USDC is available."


@pytest.mark.parametrize(
    "body, field",
    [
        ({"side": "buy", "order_type": "limit", "quantity": 1, "price": 150}, "symbol"),
        ({"symbol": "AAPL/USDC", "side": "long", "order_type": "limit", "quantity": 1, "price": 150}, "side"),
        ({"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": "ten", "price": 150}, "quantity"),
        ({"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1e30, "price": 150}, "quantity"),
        ({"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 0.000000001}, "price"),
        ({"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1}, "price"),
        ({"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 150.001}, "price"),
        ({"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 0.5, "price": 150}, "quantity"),
        ({"symbol": "NOPE/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 150}, "symbol"),
        ({"symbol": "AAPL/USDC", "side": "buy", "order_type": "market", "quantity": 1, "price": 150}, "price"),
        ({"symbol": ["AAPL/USDC"], "side": "buy", "order_type": "limit", "quantity": 1, "price": 150}, "symbol"),
    ],
)
def test_bad_orders_are_400_with_a_reason_per_field(buyer, body, field):
    status, answer = post(client_for(buyer), "/v1/orders", body)
    assert status == 400 and answer["code"] == "VALIDATION_ERROR", answer
    assert field in answer["errors"]
    assert not Order.objects.exists()


def test_only_traders_place_orders(officer, markets):
    status, _ = post(
        client_for(officer), "/v1/orders", {"symbol": "AAPL/USDC", "side": "buy", "order_type": "limit", "quantity": 1, "price": 1}
    )
    assert status == 403


def test_staff_deposit_credits_funds(administrator, trader, markets):
    status, body = post(
        client_for(administrator),
        "/v1/deposits",
        {"account_id": trader.account.id, "currency": "USDC", "amount": 10000.25, "transaction_hash": "0xabcd1234"},
    )
    assert status == 201, body
    assert body["deposit_id"].startswith("dep_") and body["amount"] == D("10000.25")
    assert balance(trader, "USDC") == (D("10000.25"), D("0"))
    assert Deposit.objects.get().transaction_hash == "0xabcd1234"


def test_deposit_refusals(administrator, trader, markets):
    admin = client_for(administrator)
    ok = {"account_id": trader.account.id, "currency": "USDC", "amount": 1, "transaction_hash": "0x1"}
    assert post(client_for(trader), "/v1/deposits", ok)[0] == 403
    assert post(admin, "/v1/deposits", {**ok, "account_id": "acc_0000000000000000"})[0] == 404
    status, body = post(admin, "/v1/deposits", {**ok, "currency": "DOGE"})
    assert status == 400 and "currency" in body["errors"]
    status, body = post(admin, "/v1/deposits", {**ok, "amount": -5})
    assert status == 400 and "amount" in body["errors"]
    assert not Deposit.objects.exists()


def test_withdrawal_holds_funds_until_processed(buyer):
    client = client_for(buyer)
    status, body = post(client, "/v1/withdrawals", {"currency": "USDC", "amount": 5000, "address": "0xdest"})
    assert status == 201, body
    assert body["withdrawal_id"].startswith("wth_") and body["status"] == "pending"
    assert balance(buyer, "USDC") == (D("995000"), D("5000"))
    status, body = post(client, "/v1/withdrawals", {"currency": "USDC", "amount": 10_000_000, "address": "0xdest"})
    assert status == 400 and body["code"] == "INSUFFICIENT_FUNDS"
    status, body = post(client, "/v1/withdrawals", {"currency": "USDC", "amount": 1})
    assert status == 400 and "address" in body["errors"]
    assert Withdrawal.objects.count() == 1


def test_schema_documents_the_trading_endpoints(buyer):
    response = client_for(buyer).get("/v1/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = loads(response.content)
    for path in ("/v1/markets", "/v1/orders", "/v1/orders/{order_id}", "/v1/withdrawals", "/v1/deposits"):
        assert path in schema["paths"], path
    assert "OrderCreate" in schema["components"]["schemas"]
    paged = {
        "/v1/orders": "OrderPage", "/v1/trades": "FillPage", "/v1/settlements": "SettlementPage", "/v1/deposits": "DepositPage",
        "/v1/withdrawals": "WithdrawalPage", "/v1/markets/{symbol}/trades": "PublicTradePage",
    }  # fmt: skip
    for path, page in paged.items():
        answer = schema["paths"][path]["get"]
        assert answer["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{page}"), path
        assert {"limit", "cursor"} <= {parameter["name"] for parameter in answer["parameters"]}, path
    assert set(schema["components"]["schemas"]["OrderPage"]["properties"]) == {"results", "next_cursor"}
    for path, schema_name in (("/v1/markets/{symbol}/orderbook", "Orderbook"), ("/v1/markets/{symbol}/ticker", "Ticker"),
                              ("/v1/withdrawals/{withdrawal_id}", "Withdrawal")):
        answer = schema["paths"][path]["get"]
        assert answer["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(f"/{schema_name}"), path
