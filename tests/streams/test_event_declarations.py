"""Event declarations: the encoder, the envelope, the shape checker built from them, and channel names declared once."""

import ast
import io
import tokenize
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kernel.json import dumps, loads
from streams.events import Event, declared, wire
from tests.event_shapes import app_declared_types, assert_event_shape, check_delivered
from trading.events import ORDERS, OrderbookUpdate, OrderCreated

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "trading", "compliance", "operations", "auctions", "demo", "streams", "kernel", "cantondex")
# Each channel name is written once, where the app that owns the channel declares it.
CHANNEL_DECLARATIONS = {
    "account_notifications": "accounts/events.py",
    "orders": "trading/events.py",
    "trades": "trading/events.py",
    "settlements": "trading/events.py",
    "market_data": "trading/events.py",
    "compliance_events": "compliance/events.py",
    "system_health": "operations/events.py",
    "auction": "auctions/events.py",
    "bids": "auctions/events.py",
    "settlement": "auctions/events.py",
}
# Strings that spell a channel's name but mean something else.
NOT_CHANNELS = {
    ("trading/models.py", "orders"): "the reverse accessors Account.orders and Market.orders",
    ("trading/models.py", "trades"): "the reverse accessor Market.trades",
    ("trading/urls.py", "orders"): "the REST path /v1/orders",
    ("trading/urls.py", "trades"): "the REST path /v1/trades",
    ("trading/urls.py", "settlements"): "the REST path /v1/settlements",
    ("trading/api.py", "orders"): "the REST list /v1/orders, which its page cursors name",
    ("trading/history_api.py", "trades"): "the REST list /v1/trades, which its page cursors name",
    ("trading/history_api.py", "settlements"): "the REST list /v1/settlements, which its page cursors name",
    ("operations/models.py", "market_data"): "the health-monitored service market_data",
    ("trading/apps.py", "settlement"): "the model name in a permission codename",
    ("trading/models.py", "settlement"): "the reverse accessor Trade.settlement",
    ("trading/matching.py", "bids"): "the buy side of an order book",
    ("streams/coalesce.py", "bids"): "the buy side of an order book",
    ("auctions/models.py", "auction"): "the foreign key Bid.auction and SupplyTranche.auction",
    ("auctions/models.py", "bids"): "the reverse accessor Auction.bids",
    ("auctions/apps.py", "auction"): "the model name in a permission codename",
    ("auctions/selectors.py", "auction"): "the foreign key Bid.auction",
    ("auctions/services.py", "auction"): "the foreign key Bid.auction",
    ("auctions/closing.py", "auction"): "the foreign key Bid.auction, and what an order or settlement came from",
    ("auctions/channels.py", "auction"): "the foreign key Bid.auction",
    ("auctions/channels.py", "bids"): "what the channel carries, in its subscription message",
    ("auctions/api.py", "bids"): "the anonymised bids of the REST result",
    ("auctions/urls.py", "bids"): "the REST paths /v1/bids and /v1/auctions/{id}/bids",
}


class AuctionUpdateForTest(Event, type="test_auction_update", channel=ORDERS, envelope="payload"):
    """The auction seed's envelope, declared here until the auctions app declares its own events."""

    auction_id: str
    current_price: Decimal
    ends_at: datetime
    clearing_price: Decimal | None


def delivered(event: Event, **delivery) -> dict:
    """The event as a client reads it: encoded, stamped as publish stamps it, through JSON and back."""
    stamps = {"channel": event.channel, "sequence": 1, "timestamp": "2026-01-01T00:00:00.000Z", **delivery}
    return loads(dumps({**wire(event), **stamps}))


def order_created(**changes) -> OrderCreated:
    fields = {
        "account_id": "acc_0123456789abcdef",
        "order_id": "ord_0123456789abcdef",
        "symbol": "AAPL/USDC",
        "side": "buy",
        "order_type": "limit",
        "quantity": Decimal("1.50"),
        "price": Decimal("1E+5"),
        "status": "open",
    }
    return OrderCreated(**{**fields, **changes})


def test_the_encoder_writes_plain_numbers_iso_times_and_keeps_none():
    message = wire(order_created(price=None, timestamp=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)))
    assert dumps(message) == (
        '{"type":"order_created","account_id":"acc_0123456789abcdef","order_id":"ord_0123456789abcdef",'
        '"symbol":"AAPL/USDC","side":"buy","order_type":"limit","quantity":1.5,"price":null,"status":"open",'
        '"client_order_id":null,"time_in_force":"gtc","post_only":false,"timestamp":"2026-01-02T03:04:05.000Z"}'
    )
    assert dumps(wire(order_created())["price"]) == "100000"
    book = OrderbookUpdate.of("AAPL/USDC", {"bids": [(Decimal("150.50"), Decimal("0"))]})
    assert dumps(wire(book)["changes"]) == '{"bids":[{"price":150.5,"quantity":0,"action":"delete"}]}'


def test_an_enveloped_event_carries_its_fields_under_the_envelope_key():
    event = AuctionUpdateForTest(
        auction_id="auc_0123456789abcdef",
        current_price=Decimal("10.50"),
        ends_at=datetime(2026, 1, 1, tzinfo=UTC),
        clearing_price=None,
    )
    message = delivered(event)
    assert set(message) == {"type", "payload", "channel", "sequence", "timestamp"}
    assert message["payload"] == {
        "auction_id": "auc_0123456789abcdef",
        "current_price": Decimal("10.5"),
        "ends_at": "2026-01-01T00:00:00.000Z",
        "clearing_price": None,
    }
    assert_event_shape(message)
    with pytest.raises(AssertionError, match="payload"):
        assert_event_shape({**message, "payload": {**message["payload"], "bidder": "x"}})


def test_a_type_is_declared_once_and_with_a_channel():
    with pytest.raises(TypeError, match="declared twice"):

        class OrderCreatedAgain(Event, type="order_created", channel=ORDERS):
            pass

    with pytest.raises(TypeError, match="without a channel"):

        class Channelless(Event, type="test_channelless"):
            pass

    assert declared()["order_created"] is OrderCreated


def test_an_extension_adds_fields_without_declaring_a_type():
    class TimedOrderCreated(OrderCreated):
        sent_at_ms: float

    message = wire(TimedOrderCreated(**vars(order_created()), sent_at_ms=1.5))
    assert message["type"] == "order_created" and message["sent_at_ms"] == 1.5
    assert declared()["order_created"] is OrderCreated


@pytest.mark.parametrize(
    "change, complaint",
    [
        ({"quantity": "1.5"}, "quantity"),  # a number sent as a string
        ({"price": True}, "price"),
        ({"status": None}, "status"),  # not declared optional
        ({"order_id": "ord_1"}, "order_id"),  # malformed id
        ({"extra": 1}, "undeclared"),
        ({"channel": "trades"}, "declared on orders"),
        ({"timestamp": "2026-01-01 00:00:00"}, "2026"),
        ({"sequence": 0}, "0"),
    ],
)
def test_the_shape_check_follows_the_declaration(change, complaint):
    message = delivered(order_created())
    assert_event_shape(message)
    with pytest.raises(AssertionError, match=complaint):
        assert_event_shape({**message, **change})


def test_the_clients_check_events_but_not_replies():
    check_delivered({"type": "subscription_response", "channel": "orders", "sequence": 3, "status": "subscribed"})
    check_delivered({"type": "pong"})
    with pytest.raises(AssertionError, match="not a declared event type"):
        check_delivered({"type": "made_up", "channel": "orders", "sequence": 1, "timestamp": "2026-01-01T00:00:00Z"})
    snapshot = delivered(order_created(), sequence=0, snapshot=True)
    check_delivered(snapshot)
    with pytest.raises(AssertionError):
        check_delivered({**snapshot, "snapshot": False})


def test_test_only_declarations_are_not_the_apps():
    assert "test_auction_update" in declared() and "test_auction_update" not in app_declared_types()
    assert {"order_created", "system_status", "alert_updated"} <= app_declared_types()


def channel_literals() -> list[tuple[str, int, str]]:
    """(path, line, value) of every string literal in the apps' code that spells a channel name.

    Docstrings (string statements) do not count, comments are not strings; migrations are generated history.
    """
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
            significant = [t for t in tokens if t.type not in (tokenize.COMMENT, tokenize.NL)]
            for index, token in enumerate(significant):
                if token.type != tokenize.STRING or _is_docstring(significant, index):
                    continue
                try:
                    value = ast.literal_eval(token.string)
                except ValueError:  # an f-string
                    continue
                if value in CHANNEL_DECLARATIONS and (relative, value) not in NOT_CHANNELS:
                    found.append((relative, token.start[0], value))
    return found


def _is_docstring(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    before = tokens[index - 1].type if index else tokenize.NEWLINE
    after = tokens[index + 1].type if index + 1 < len(tokens) else tokenize.NEWLINE
    return before in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING) and after in (
        tokenize.NEWLINE,
        tokenize.ENDMARKER,
    )


def test_every_channel_name_is_written_once_where_its_app_declares_it():
    literals = channel_literals()
    where = {value: [(path, line) for path, line, v in literals if v == value] for value in CHANNEL_DECLARATIONS}
    assert {value: [path for path, _ in spots] for value, spots in where.items()} == {
        value: [path] for value, path in CHANNEL_DECLARATIONS.items()
    }, f"channel names written outside their declaration: {literals}"
    channels = {cls.channel for kind, cls in declared().items() if kind in app_declared_types()}
    assert channels == set(CHANNEL_DECLARATIONS)
