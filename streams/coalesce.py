"""Market data aggregation: one coalescer per (stream, aggregation) per process.

Within each interval the latest price wins and order book changes are netted per price level
(the last action at a level stands), so a 1s subscriber gets at most one orderbook_update and one
price_update a second per symbol. Coalesced messages are numbered on their own stream, encoded
once and written to every subscriber of that aggregation.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

from kernel.json import dumps, loads, utcnow_iso

from . import metrics
from .flow import utf8_size
from .registry import AGGREGATION_SECONDS, StreamRef

Subscriber = TypeVar("Subscriber")  # the hub's subscription; the coalescer only hands it back to `deliver`


class Coalescer(Generic[Subscriber]):
    def __init__(
        self,
        ref: StreamRef,
        *,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        deliver: Callable[[Subscriber, int, str, int], Awaitable[None]],
    ):
        self.ref = ref
        self.spawn = spawn  # the hub's: it keeps the flush task until the task ends
        self.deliver = deliver
        self.deliveries = metrics.deliveries(ref.channel)
        self.interval = AGGREGATION_SECONDS[ref.aggregation]
        self.subscribers: set[Subscriber] = set()
        self.sequence = 0
        self._symbol: Any = ref.key
        self._price: dict[str, Any] | None = None
        self._book: dict[str, dict[Any, dict[str, Any]]] = {"bids": {}, "asks": {}}
        self._others: list[dict[str, Any]] = []
        self._timer: asyncio.TimerHandle | None = None

    def add(self, text: str) -> None:
        event = loads(text)
        kind = event["type"]
        if kind == "price_update":
            self._price = event
        elif kind == "orderbook_update":
            self._symbol = event.get("symbol", self._symbol)
            for side in ("bids", "asks"):
                for change in event.get("changes", {}).get(side, []):
                    self._book[side][change["price"]] = change
        else:
            self._others.append(event)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.interval, self._flush_soon)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _flush_soon(self) -> None:
        self._timer = None
        self.spawn(self.flush())

    async def flush(self) -> None:
        messages = self._others
        bids, asks = self._book["bids"], self._book["asks"]
        if bids or asks:
            messages.append(
                {
                    "type": "orderbook_update",
                    "symbol": self._symbol,
                    "changes": {
                        "bids": [bids[price] for price in sorted(bids, reverse=True)],
                        "asks": [asks[price] for price in sorted(asks)],
                    },
                }
            )
        if self._price is not None:
            messages.append(self._price)
        self._others, self._price = [], None
        self._book = {"bids": {}, "asks": {}}
        for message in messages:
            self.sequence += 1
            message.pop("timestamp", None)
            text = dumps(
                {
                    **message,
                    "channel": self.ref.channel,
                    "aggregation": self.ref.aggregation,
                    "sequence": self.sequence,
                    "timestamp": utcnow_iso(),
                }
            )
            size = utf8_size(text)
            subs = list(self.subscribers)
            for sub in subs:
                await self.deliver(sub, self.sequence, text, size)
            self.deliveries.inc(len(subs))

