"""The order benchmark's event check fails on every way a socket can go wrong (no server, no database)."""

from bench.orders import events
from bench.orders.load import Plan, TraderLoad
from bench.orders.traders import Trader

BUYER, SELLER = "acc_000000000000000b", "acc_000000000000000s"


def trader_load(index: int, account_id: str) -> TraderLoad:
    plan = Plan(symbols=["X/USDC"], orders_per_client=1, seconds=None, rate=None, clients=2)
    return TraderLoad(index=index, trader=Trader(f"t{index}", account_id, "token"), http_port=0, ws_url="", plan=plan)


def scene():
    """The seller's resting order filled by the buyer's order: what each socket gets when all goes well."""
    buyer, seller = trader_load(0, BUYER), trader_load(1, SELLER)
    buyer.socket.events = [
        (1.0, {"type": "order_created", "channel": "orders", "sequence": 1, "order_id": "ord_b"}),
        (1.1, {"type": "order_filled", "channel": "orders", "sequence": 2, "order_id": "ord_b", "trade_id": "trd_1"}),
        (1.2, {"type": "trade_executed", "channel": "trades", "sequence": 1, "order_id": "ord_b", "trade_id": "trd_1"}),
    ]
    seller.socket.events = [
        (0.5, {"type": "order_created", "channel": "orders", "sequence": 1, "order_id": "ord_s"}),
        (0.6, {"type": "order_updated", "channel": "orders", "sequence": 2, "order_id": "ord_s", "status": "open"}),
        (1.1, {"type": "order_filled", "channel": "orders", "sequence": 3, "order_id": "ord_s", "trade_id": "trd_1"}),
        (1.3, {"type": "trade_executed", "channel": "trades", "sequence": 1, "order_id": "ord_s", "trade_id": "trd_1"}),
    ]
    truth = events.Truth(
        orders={"ord_b": (BUYER, "filled"), "ord_s": (SELLER, "filled")},
        trades={"trd_1": (BUYER, SELLER, "ord_b")},
        last_sequence={("orders", BUYER): 2, ("trades", BUYER): 1, ("orders", SELLER): 3, ("trades", SELLER): 1},
    )
    base = dict.fromkeys(truth.last_sequence, 0)
    return [buyer, seller], truth, base


def test_every_event_once_in_order_passes():
    loads, truth, base = scene()
    verdict = events.check(loads, truth, base)
    assert verdict.passed, verdict.problems
    assert verdict.expected == verdict.received == 7


def test_a_missing_event_fails():
    loads, truth, base = scene()
    del loads[1].socket.events[1]
    problems = events.check(loads, truth, base).problems
    assert problems == [f"{SELLER} orders: 1 missing (sequences 2; expected 1..3)"]


def test_a_missing_last_event_fails():
    loads, truth, base = scene()
    loads[0].socket.events.pop()
    problems = events.check(loads, truth, base).problems
    assert f"{BUYER} trades: 1 missing (sequences 1; expected 1..1)" in problems
    assert f"{BUYER}: trade_executed missing for 1 (trd_1)" in problems


def test_a_duplicated_event_fails():
    loads, truth, base = scene()
    loads[0].socket.events.append(loads[0].socket.events[0])
    problems = events.check(loads, truth, base).problems
    assert f"{BUYER} orders: 1 duplicated (sequences 1)" in problems
    assert f"{BUYER}: order_created received more than once for 1 (ord_b)" in problems


def test_events_out_of_order_fail():
    loads, truth, base = scene()
    seller_events = loads[1].socket.events
    seller_events[1], seller_events[2] = seller_events[2], seller_events[1]
    problems = events.check(loads, truth, base).problems
    assert problems == [f"{SELLER} orders: out of order (1 times; first 3 then 2)"]


def test_an_event_never_published_fails_though_the_sequence_has_no_gap():
    loads, truth, base = scene()
    truth.orders["ord_b2"] = (BUYER, "open")  # an order of the run whose order_created nobody sent
    problems = events.check(loads, truth, base).problems
    assert problems == [f"{BUYER}: order_created missing for 1 (ord_b2)"]


def test_a_fill_before_its_order_created_fails():
    loads, truth, base = scene()
    buyer_events = loads[0].socket.events
    buyer_events[0][1]["type"], buyer_events[1][1]["type"] = "order_filled", "order_created"
    problems = events.check(loads, truth, base).problems
    assert f"{BUYER}: order_filled of ord_b arrived before its order_created" in problems


def test_delays_run_from_the_post_to_the_event():
    loads, truth, _base = scene()
    from bench.orders.load import Request

    loads[0].requests = [Request(sent_at=0.9, answered_at=1.0, status=201, order_id="ord_b")]
    loads[1].requests = [Request(sent_at=0.4, answered_at=0.5, status=201, order_id="ord_s")]
    delays = events.delays_ms(loads, truth)
    assert [round(d) for d in delays["order_created"]] == [100, 100]
    # Both trade_executed events count from the taker's (the buyer's) POST at 0.9.
    assert [round(d) for d in delays["trade_executed"]] == [300, 400]
