"""The event source of the benchmark, a process of its own: `python -m bench.publisher TARGET`.

TARGET "project" publishes through the project's real path, streams.publishing.publish (each event in
its own transaction, as a domain change would; the server's relay picks it up from the event log).
TARGET ws://... feeds a baseline server the same events over a WebSocket, already stamped with
channel, sequence and timestamp as the project's publish would stamp them.

Every event carries `sent_at_ms` (epoch milliseconds, taken just before it is published) so the
load client can compute the latency from publish to receipt. Commands arrive as JSON lines on
stdin ({"cmd": "burst", "count": K} or {"cmd": "steady", "rate": R, "count": K}); each is answered
with one JSON line on stdout once its events are out.
"""

import json
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from decimal import Decimal

from bench.database import SYMBOL


def price_update(n: int) -> dict:
    from kernel.json import plain

    bid = Decimal("150.00") + Decimal(n % 100) / 100
    ask = bid + Decimal("0.05")
    return {
        "type": "price_update",
        "symbol": SYMBOL,
        "bid": plain(bid),
        "ask": plain(ask),
        "mid": plain((bid + ask) / 2),
        "last_price": plain(bid + Decimal("0.02")),
        "sent_at_ms": time.time() * 1000,
    }


def project_sender() -> Callable[[dict], None]:
    import django

    django.setup()
    from streams.publishing import publish
    from trading.events import PriceUpdate

    class TimedPriceUpdate(PriceUpdate):
        """The declared price_update plus the publisher's clock, which the load client measures against."""

        sent_at_ms: float

    def send(event: dict) -> None:
        publish(event=TimedPriceUpdate(**{name: value for name, value in event.items() if name != "type"}), key=SYMBOL)

    return send


def websocket_sender(url: str, stack: ExitStack) -> Callable[[dict], None]:
    from websockets.sync.client import connect

    from kernel.json import dumps, utcnow_iso

    socket = stack.enter_context(connect(url, compression=None, open_timeout=10))
    sequence = 0

    def send(event: dict) -> None:
        nonlocal sequence
        sequence += 1
        socket.send(dumps({**event, "channel": "market_data", "sequence": sequence, "timestamp": utcnow_iso()}))

    return send


def run(send: Callable[[dict], None], command: dict, counter: list[int]) -> dict:
    count = int(command["count"])
    interval = 1.0 / command["rate"] if command["cmd"] == "steady" else 0.0
    start = time.monotonic()
    first_at = None
    for i in range(count):
        if interval:
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        counter[0] += 1
        event = price_update(counter[0])
        first_at = first_at or event["sent_at_ms"]
        send(event)
    return {"event": "published", "count": count, "firstAt": first_at, "lastAt": time.time() * 1000}


def main(target: str) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cantondex.settings")
    with ExitStack() as stack:
        send = project_sender() if target == "project" else websocket_sender(target, stack)
        counter = [0]
        print(json.dumps({"event": "ready"}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if command["cmd"] == "close":
                break
            print(json.dumps(run(send, command, counter)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
