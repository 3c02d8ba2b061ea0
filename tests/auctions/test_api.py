"""The REST calls of the contract's Auctions section, with their error envelope."""

import hashlib
import re
from decimal import Decimal as D

import pytest
from rest_framework.test import APIClient

from accounts.services import api_key_create
from auctions.clearing import BidIn, Tranche, clear
from auctions.models import Bid
from kernel.json import dumps, loads
from tests.auctions.conftest import AAPL, ISSUE_BOOK, holdings, published, reserved_total, run_to_end
from tests.conftest import token_for

pytestmark = pytest.mark.django_db
ID = re.compile(r"^(auc|bid)_[0-9a-f]{16}$")


def call(user, method: str, path: str, body=None):
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    text = body if isinstance(body, str) else dumps(body) if body is not None else None
    response = getattr(client, method)(path, data=text, content_type="application/json")
    return response.status_code, loads(response.content) if response.content else None


def test_staff_create_and_anyone_reads(administrator, seller, bidders, officer):
    status, created = call(
        administrator,
        "post",
        "/v1/auctions",
        {"symbol": AAPL, "seller_account_id": seller.account.id, "supply_quantity": 1000, "reserve_price": 150, "duration_ms": 60000},
    )
    assert status == 201, created
    assert ID.match(created["auction_id"]) and created["status"] == "active" and created["supply_available"] == D("1000")
    assert created["ladder"] == [{"price": D("150"), "quantity": D("1000")}] and len(created["end_commitment"]) == 64
    assert call(bidders[0], "post", "/v1/auctions", {"symbol": AAPL})[0] == 403
    auction_id = created["auction_id"]
    status, listed = call(officer, "get", f"/v1/auctions?status=active&symbol={AAPL}")
    assert status == 200 and [a["auction_id"] for a in listed] == [auction_id]
    for wrong in ("opened", ""):  # an empty status is no status either, not a filter that matches nothing
        status, refused = call(officer, "get", f"/v1/auctions?status={wrong}")
        assert (status, refused["code"]) == (400, "VALIDATION_ERROR") and "status" in refused["details"]["errors"]
    status, every_market = call(officer, "get", "/v1/auctions?symbol=")  # an empty symbol: every market
    assert status == 200 and [a["auction_id"] for a in every_market] == [auction_id]
    status, missing = call(officer, "get", "/v1/auctions/auc_0000000000000000")
    assert (status, missing["code"]) == (404, "AUCTION_NOT_FOUND")
    assert call(None, "get", f"/v1/auctions/{auction_id}")[0] == 401


def test_bid_raise_list_cancel_and_result(new_auction, bidders, officer):
    auction = new_auction()
    status, placed = call(bidders[0], "post", f"/v1/auctions/{auction.id}/bids", '{"quantity": 10, "price": 150.5, "client_bid_id": "a-1"}')
    assert status == 201, placed
    assert ID.match(placed["bid_id"]) and (placed["status"], placed["quantity"], placed["price"]) == ("active", D("10"), D("150.5"))
    assert call(bidders[0], "post", f"/v1/auctions/{auction.id}/bids", '{"quantity": 10, "price": 150.5, "client_bid_id": "a-1"}')[0] == 200
    status, raised = call(bidders[0], "patch", f"/v1/bids/{placed['bid_id']}", {"price": D("151")})
    assert status == 200 and raised["price"] == D("151")
    assert [b["bid_id"] for b in call(bidders[0], "get", "/v1/bids")[1]] == [placed["bid_id"]]
    assert [b["bid_id"] for b in call(bidders[0], "get", f"/v1/auctions/{auction.id}/bids")[1]] == [placed["bid_id"]]
    assert call(officer, "get", f"/v1/bids/{placed['bid_id']}")[0] == 200
    status, other = call(bidders[1], "get", f"/v1/bids/{placed['bid_id']}")
    assert (status, other["code"]) == (404, "BID_NOT_FOUND")
    status, not_yet = call(officer, "get", f"/v1/auctions/{auction.id}/result")
    assert (status, not_yet["code"]) == (409, "RESULT_NOT_AVAILABLE")
    status, second = call(bidders[1], "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 5, "price": 150})
    status, cancelled = call(bidders[1], "delete", f"/v1/bids/{second['bid_id']}")
    assert status == 200 and cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    run_to_end(auction)
    status, result = call(officer, "get", f"/v1/auctions/{auction.id}/result")
    assert status == 200
    assert (result["clearing_price"], result["total_allocated"], result["fill_ratio_at_margin"]) == (D("151"), D("10"), D("1"))
    assert result["demand_curve"] == [{"price": D("151"), "quantity": D("10")}]
    assert result["bids"] == [{"arrival": 2, "price": D("151"), "quantity": D("10"), "allocated_quantity": D("10")}]
    status, mine = call(bidders[0], "get", f"/v1/bids/{placed['bid_id']}")
    assert (mine["status"], mine["allocated_quantity"], mine["clearing_price"]) == ("filled", D("10"), D("151"))
    status, detail = call(officer, "get", f"/v1/auctions/{auction.id}")
    assert (detail["status"], detail["clearing_price"], detail["total_allocated"]) == ("completed", D("151"), D("10"))


@pytest.mark.parametrize(
    "body, field",
    [
        ('{"quantity": -10, "price": 150}', "quantity"),
        ('{"quantity": 0, "price": 150}', "quantity"),
        ('{"quantity": 10, "price": 150.000000001}', "price"),
        ('{"quantity": 10, "price": 150.005}', "price"),
        ('{"quantity": 10.5, "price": 150}', "quantity"),
        ('{"quantity": 1e30, "price": 150}', "quantity"),
        ('{"quantity": 10, "price": 99999999999999}', "price"),
        ('{"quantity": "ten", "price": 150}', "quantity"),
        ('{"quantity": true, "price": 150}', "quantity"),
        ('{"quantity": [10], "price": 150}', "quantity"),
        ('{"price": 150}', "quantity"),
        ('{"quantity": 10, "price": 150, "client_bid_id": "no spaces"}', "client_bid_id"),
    ],
)
def test_bad_bids_get_a_clear_error_and_change_nothing(new_auction, bidders, body, field):
    auction = new_auction()
    before = (holdings(), reserved_total(), len(published("bids", auction.id)))
    status, error = call(bidders[0], "post", f"/v1/auctions/{auction.id}/bids", body)
    assert status == 400, error
    assert error["code"] == "VALIDATION_ERROR" and field in error["errors"], error
    assert not Bid.objects.exists() and (holdings(), reserved_total(), len(published("bids", auction.id))) == before


def test_business_refusals_use_the_contract_codes(new_auction, bidders, seller):
    auction = new_auction()
    status, low = call(bidders[0], "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 10, "price": 149})
    assert (status, low["code"]) == (400, "BID_TOO_LOW")
    status, poor = call(bidders[0], "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 100000, "price": 150})
    assert (status, poor["code"]) == (400, "INSUFFICIENT_FUNDS")
    status, own = call(seller, "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 10, "price": 150})
    assert (status, own["code"]) == (403, "PERMISSION_DENIED")
    status, missing = call(bidders[0], "post", "/v1/auctions/auc_0000000000000000/bids", {"quantity": 10, "price": 150})
    assert (status, missing["code"]) == (404, "AUCTION_NOT_FOUND")
    status, placed = call(bidders[0], "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 10, "price": 150})
    status, foreign = call(bidders[1], "delete", f"/v1/bids/{placed['bid_id']}")
    assert (status, foreign["code"]) == (404, "BID_NOT_FOUND")
    status, foreign_raise = call(bidders[1], "patch", f"/v1/bids/{placed['bid_id']}", {"price": 200})
    assert (status, foreign_raise["code"]) == (404, "BID_NOT_FOUND")
    assert Bid.objects.get(pk=placed["bid_id"]).price == D("150")
    run_to_end(auction)
    status, ended = call(bidders[1], "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 10, "price": 150})
    assert (status, ended["code"]) == (400, "AUCTION_ENDED")


def test_create_validates_every_term(administrator, seller):
    status, error = call(
        administrator,
        "post",
        "/v1/auctions",
        {
            "symbol": AAPL,
            "seller_account_id": seller.account.id,
            "supply_quantity": 10.5,
            "reserve_price": 150.001,
            "duration_ms": 1000,
            "allocation": "random",
        },
    )
    assert status == 400 and {"allocation"} <= set(error["errors"]), error
    status, error = call(
        administrator,
        "post",
        "/v1/auctions",
        {"symbol": AAPL, "seller_account_id": seller.account.id, "supply_quantity": 10.5, "reserve_price": 150.001, "duration_ms": 1000},
    )
    assert status == 400 and {"supply_quantity", "reserve_price"} <= set(error["errors"]), error
    status, error = call(
        administrator,
        "post",
        "/v1/auctions",
        {"symbol": AAPL, "seller_account_id": seller.account.id, "supply_quantity": 100000, "reserve_price": 150, "duration_ms": 1000},
    )
    assert (status, error["code"]) == (400, "INSUFFICIENT_FUNDS")
    assert reserved_total() == 0


def test_anyone_can_recompute_the_result_from_what_is_published(new_auction, bidders, officer):
    auction = new_auction()
    for user, (quantity, price) in zip(bidders[:4], ISSUE_BOOK, strict=True):
        assert call(user, "post", f"/v1/auctions/{auction.id}/bids", f'{{"quantity": {quantity}, "price": {price}}}')[0] == 201
    run_to_end(auction)
    status, result = call(officer, "get", f"/v1/auctions/{auction.id}/result")
    assert status == 200 and result["fill_ratio_at_margin"] == D("0.6")
    recomputed = clear(
        bids=[BidIn(str(b["arrival"]), D(b["price"]), D(b["quantity"]), b["arrival"]) for b in result["bids"]],
        ladder=[Tranche(D(t["price"]), D(t["quantity"])) for t in result["ladder"]],
        reserve_price=D(result["reserve_price"]),
        lot_size=D(result["lot_size"]),
        allocation=result["allocation"],
    )
    assert recomputed.price == result["clearing_price"] == D("152")
    assert {int(k): v for k, v in recomputed.allocations.items()} == {b["arrival"]: b["allocated_quantity"] for b in result["bids"]}
    proof = f"{auction.id}|{result['end_at']}|{result['end_salt']}"
    assert hashlib.sha256(proof.encode()).hexdigest() == result["end_commitment"]


@pytest.mark.parametrize("terms", [{"duration_ms": 10**30}, {"duration_ms": 0}, {"duration_ms": 60000, "close_window_ms": 10**30}, {"duration_ms": "soon"}])
def test_create_refuses_impossible_durations(administrator, seller, terms):
    body = {"symbol": AAPL, "seller_account_id": seller.account.id, "supply_quantity": 10, "reserve_price": 150, **terms}
    status, error = call(administrator, "post", "/v1/auctions", body)
    assert (status, error["code"]) == (400, "VALIDATION_ERROR") and set(error["errors"]) <= {"duration_ms", "close_window_ms"}
    assert reserved_total() == 0


def test_the_schema_documents_every_auction_call_with_its_answer(officer):
    status, schema = call(officer, "get", "/v1/schema?format=json")
    assert status == 200
    paths = schema["paths"]
    for path in ("/v1/auctions", "/v1/auctions/{auction_id}", "/v1/auctions/{auction_id}/bids", "/v1/auctions/{auction_id}/result", "/v1/bids/{bid_id}"):
        assert path in paths, path
    answer = paths["/v1/auctions/{auction_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/Auction"}
    auction = schema["components"]["schemas"]["Auction"]["properties"]
    assert {"auction_id", "current_price", "total_bids", "time_remaining_ms", "supply_available", "ladder"} <= set(auction)


def test_a_read_only_api_key_reads_but_cannot_bid(new_auction, bidders):
    auction = new_auction()
    _, read_key = api_key_create(user=bidders[0], scopes=["read"])
    _, trade_key = api_key_create(user=bidders[0], scopes=["read", "trade"])

    def with_key(key, method, path, body=None):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
        response = getattr(client, method)(path, data=dumps(body) if body else None, content_type="application/json")
        return response.status_code, loads(response.content)

    assert with_key(read_key, "get", f"/v1/auctions/{auction.id}")[0] == 200
    status, refused = with_key(read_key, "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 10, "price": 150})
    assert (status, refused["code"]) == (403, "INSUFFICIENT_SCOPE") and not Bid.objects.exists()
    status, placed = with_key(trade_key, "post", f"/v1/auctions/{auction.id}/bids", {"quantity": 10, "price": 150})
    assert status == 201 and with_key(read_key, "get", f"/v1/bids/{placed['bid_id']}")[0] == 200
    assert with_key(read_key, "delete", f"/v1/bids/{placed['bid_id']}")[1]["code"] == "INSUFFICIENT_SCOPE"
