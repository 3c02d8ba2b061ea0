"""What each trader's socket should have received, read from the database once every order is answered,
and the check of what it did receive.

Two independent sources of truth:
- the stream cursors (streams_streamcursor): every event committed on a trader's `orders` and
  `trades` stream after it subscribed must arrive exactly once, in sequence order, with no gap;
- the trading tables: every order of the scenario gets one `order_created`, every filled order one
  `order_filled`, every trade one `trade_executed` on the buyer's and on the seller's socket, and
  `order_created` comes before any other event of its order. This catches an event never published,
  which the cursors alone would not.

The delays run from sending the POST to receiving the event: `order_created` of that order, and
`trade_executed` (on both sockets) of a trade that order caused as the taker.
"""

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bench.measure import percentile
from bench.orders.load import TraderLoad

CHANNELS = ("orders", "trades")
MAX_PROBLEMS_PER_STREAM = 5


@dataclass
class Truth:
    orders: dict[str, tuple[str, str]]  # order id -> (account, status)
    trades: dict[str, tuple[str, str, str]]  # trade id -> (buyer account, seller account, taker order id)
    last_sequence: dict[tuple[str, str], int]  # (channel, account) -> the stream's last sequence


@dataclass
class Verdict:
    expected: int = 0
    received: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def cursors(account_ids: list[str]) -> dict[tuple[str, str], int]:
    from streams.publishing import stream_sequence

    return {(channel, a): stream_sequence(channel=channel, key=a) for a in account_ids for channel in CHANNELS}


def truth(*, account_ids: list[str], symbols: list[str]) -> Truth:
    from trading.models import Order, Trade

    orders = {
        order_id: (account, status)
        for order_id, account, status in Order.objects.filter(market_id__in=symbols).values_list("id", "account_id", "status")
    }
    trades = {}
    for trade_id, buyer, seller, taker_side, buy_order, sell_order in Trade.objects.filter(market_id__in=symbols).values_list(
        "id", "buyer_id", "seller_id", "taker_side", "buy_order_id", "sell_order_id"
    ):
        trades[trade_id] = (buyer, seller, buy_order if taker_side == "buy" else sell_order)
    return Truth(orders, trades, cursors(account_ids))


def check(loads: list[TraderLoad], truth: Truth, base: dict[tuple[str, str], int]) -> Verdict:
    verdict = Verdict()
    for load in loads:
        account = load.trader.account_id
        if load.socket_error or load.socket.closed_early:
            verdict.problems.append(f"{account}: socket failed ({load.socket_error or load.socket.closed_early})")
        for message in load.socket.other:
            if message.get("type") == "error":
                verdict.problems.append(f"{account}: error on the socket: {message}")
        by_channel = defaultdict(list)
        for _, message in load.socket.events:
            by_channel[message["channel"]].append(message)
        for channel in CHANNELS:
            first, last = base[(channel, account)] + 1, truth.last_sequence[(channel, account)]
            verdict.expected += last - first + 1
            verdict.received += len(by_channel[channel])
            verdict.problems += _sequence_problems(f"{account} {channel}", [m.get("sequence") for m in by_channel[channel]], first, last)
        verdict.problems += _domain_problems(account, by_channel, truth)
    return verdict


def _sequence_problems(stream: str, arrived: list, first: int, last: int) -> list[str]:
    if arrived == list(range(first, last + 1)):
        return []
    problems = []
    counts = Counter(arrived)
    missing = sorted(set(range(first, last + 1)) - set(counts))
    duplicated = sorted(s for s, n in counts.items() if n > 1)
    unexpected = sorted(s for s in counts if not isinstance(s, int) or not first <= s <= last)
    if missing:
        problems.append(f"{stream}: {len(missing)} missing (sequences {_some(missing)}; expected {first}..{last})")
    if duplicated:
        problems.append(f"{stream}: {len(duplicated)} duplicated (sequences {_some(duplicated)})")
    if unexpected:
        problems.append(f"{stream}: sequences outside {first}..{last}: {_some(unexpected)}")
    disorder = [(a, b) for a, b in itertools.pairwise(arrived) if isinstance(a, int) and isinstance(b, int) and b < a]
    if disorder:
        problems.append(f"{stream}: out of order ({len(disorder)} times; first {disorder[0][0]} then {disorder[0][1]})")
    return problems or [f"{stream}: sequences arrived as {_some(arrived)}, expected {first}..{last}"]


def _domain_problems(account: str, by_channel: dict[str, list[dict]], truth: Truth) -> list[str]:
    problems = []
    created = Counter(m.get("order_id") for m in by_channel["orders"] if m["type"] == "order_created")
    filled = Counter(m.get("order_id") for m in by_channel["orders"] if m["type"] == "order_filled")
    executed = Counter(m.get("trade_id") for m in by_channel["trades"] if m["type"] == "trade_executed")
    mine = {order_id: status for order_id, (owner, status) in truth.orders.items() if owner == account}
    my_trades = {t for t, (buyer, seller, _) in truth.trades.items() if account in (buyer, seller)}
    problems += _counted(account, "order_created", created, set(mine))
    problems += _counted(account, "order_filled", filled, {o for o, status in mine.items() if status == "filled"})
    problems += _counted(account, "trade_executed", executed, my_trades)
    seen_created = set()
    for message in by_channel["orders"]:
        order_id = message.get("order_id")
        if message["type"] == "order_created":
            seen_created.add(order_id)
        elif order_id in mine and order_id not in seen_created:
            problems.append(f"{account}: {message['type']} of {order_id} arrived before its order_created")
            break
    return problems


def _counted(account: str, kind: str, got: Counter, expected_ids: set) -> list[str]:
    missing = sorted(expected_ids - set(got))
    twice = sorted(i for i, n in got.items() if n > 1)
    foreign = sorted(str(i) for i in set(got) - expected_ids)
    problems = []
    if missing:
        problems.append(f"{account}: {kind} missing for {len(missing)} ({_some(missing)})")
    if twice:
        problems.append(f"{account}: {kind} received more than once for {len(twice)} ({_some(twice)})")
    if foreign:
        problems.append(f"{account}: {kind} for {len(foreign)} the scenario did not cause ({_some(foreign)})")
    return problems


def _some(items: list) -> str:
    shown = ", ".join(str(i) for i in items[:MAX_PROBLEMS_PER_STREAM])
    return shown + (f", ... ({len(items)} in all)" if len(items) > MAX_PROBLEMS_PER_STREAM else "")


def delays_ms(loads: list[TraderLoad], truth: Truth) -> dict[str, list[float]]:
    """Sorted delays in ms from a POST's send to its order_created and to the trade_executed it caused."""
    sent = {r.order_id: r.sent_at for load in loads for r in load.requests if r.order_id}
    created, executed = [], []
    for load in loads:
        for received_at, message in load.socket.events:
            if message["type"] == "order_created" and message.get("order_id") in sent:
                created.append((received_at - sent[message["order_id"]]) * 1000)
            elif message["type"] == "trade_executed" and message.get("trade_id") in truth.trades:
                taker_order = truth.trades[message["trade_id"]][2]
                if taker_order in sent:
                    executed.append((received_at - sent[taker_order]) * 1000)
    return {"order_created": sorted(created), "trade_executed": sorted(executed)}


def summary(values: list[float]) -> dict:
    return {"count": len(values), "p50": percentile(values, 50), "p99": percentile(values, 99), "max": values[-1] if values else None}
