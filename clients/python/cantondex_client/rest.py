"""Thin REST helpers over the standard library (no HTTP dependency), run in a thread so the loop keeps going."""

import asyncio
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

from . import exact_json

TIMEOUT_S = 15.0


class ApiError(Exception):
    """A REST error answer: the gateway's `{code, message, details}` and the HTTP status."""

    def __init__(self, status: int, body: Any):
        self.status = status
        self.body = body
        self.code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status} {self.code or ''}: {message or body}".strip())


async def request(base_url: str, method: str, path: str, *, body: Any = None, authorization: str | None = None) -> Any:
    """One JSON call; the decoded answer (Decimal for every number with a fraction), or ApiError."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = exact_json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if authorization:
        headers["Authorization"] = authorization
    http_request = urllib.request.Request(base_url.rstrip("/") + path, data=data, headers=headers, method=method)
    return await asyncio.to_thread(_send, http_request)


def _send(http_request: urllib.request.Request) -> Any:
    try:
        with urllib.request.urlopen(http_request, timeout=TIMEOUT_S) as response:
            text = response.read()
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            body = exact_json.loads(text)
        except ValueError:
            body = text.decode(errors="replace")
        raise ApiError(error.code, body) from None
    return exact_json.loads(text) if text else None


def order_body(
    *,
    symbol: str,
    side: str,
    quantity: Decimal,
    order_type: str = "limit",
    price: Decimal | None = None,
    client_order_id: str | None = None,
    time_in_force: str | None = None,
    post_only: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The body of POST /v1/orders, and the fields of the socket's place_order: the options that are set, and
    `extra` (fields newer servers take) as given."""
    optional = {"price": price, "client_order_id": client_order_id, "time_in_force": time_in_force, "post_only": post_only}
    body = {"symbol": symbol, "side": side, "order_type": order_type, "quantity": quantity, **extra}
    body.update({name: value for name, value in optional.items() if value is not None})
    return body


def _with_query(path: str, filters: dict[str, Any]) -> str:
    """`path` with the filters that are set as its query string (booleans as true/false)."""
    values = {key: str(value).lower() if isinstance(value, bool) else value for key, value in filters.items() if value is not None}
    return path + (f"?{urllib.parse.urlencode(values)}" if values else "")


class Rest:
    """Orders and bids over REST, signed with the client's current credentials (`authorization()`)."""

    def __init__(self, base_url: str, authorization: Callable[[], Awaitable[str]]):
        self.base_url = base_url
        self._authorization = authorization

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        return await request(self.base_url, method, path, body=body, authorization=await self._authorization())

    async def me(self) -> dict[str, Any]:
        return await self.call("GET", "/v1/accounts/me")

    async def place_order(
        self,
        *,
        symbol: str,
        side: str,
        quantity: Decimal,
        order_type: str = "limit",
        price: Decimal | None = None,
        client_order_id: str | None = None,
        time_in_force: str | None = None,
        post_only: bool | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """POST /v1/orders; a retry with the same client_order_id answers the original order and places nothing.
        `extra` passes fields newer servers take."""
        body = order_body(
            symbol=symbol, side=side, quantity=quantity, order_type=order_type, price=price, client_order_id=client_order_id,
            time_in_force=time_in_force, post_only=post_only, **extra,
        )
        return await self.call("POST", "/v1/orders", body)

    async def get_order(self, order_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/v1/orders/{urllib.parse.quote(order_id, safe='')}")

    async def get_order_by_client_id(self, client_order_id: str) -> dict[str, Any]:
        return await self.call("GET", f"/v1/orders/by-client-id/{urllib.parse.quote(client_order_id, safe='')}")

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        return await self.call("DELETE", f"/v1/orders/{urllib.parse.quote(order_id, safe='')}")

    async def cancel_all(self, symbol: str | None = None) -> dict[str, Any]:
        """Cancel every open order, or one market's: `{"cancelled": [order ids], "count": n}`."""
        query = f"?{urllib.parse.urlencode({'symbol': symbol})}" if symbol else ""
        return await self.call("DELETE", f"/v1/orders{query}")

    async def cancel_all_after(self, timeout_s: int) -> dict[str, Any]:
        """The dead-man's switch: cancel all unless called again within `timeout_s` seconds; 0 turns it off."""
        return await self.call("POST", "/v1/orders/cancel-all-after", {"timeout_s": timeout_s})

    async def list_orders(self, **filters: Any) -> dict[str, Any]:
        """GET /v1/orders: one page, `{results, next_cursor}`, newest first. Filters: symbol, status, side,
        open (True: on the book), client_order_id, limit, cursor (the `next_cursor` of the page before)."""
        return await self.call("GET", _with_query("/v1/orders", filters))

    async def list_trades(self, **filters: Any) -> dict[str, Any]:
        """GET /v1/trades: one page of the caller's fills. Filters: symbol, order_id, limit, cursor."""
        return await self.call("GET", _with_query("/v1/trades", filters))

    async def every(self, path: str, **filters: Any) -> AsyncIterator[dict[str, Any]]:
        """Every row of a paged list (/v1/orders, /v1/trades, /v1/settlements, /v1/deposits, /v1/withdrawals,
        /v1/markets/{symbol}/trades), newest first, page after page."""
        while True:
            page = await self.call("GET", _with_query(path, filters))
            for row in page["results"]:
                yield row
            if not page["next_cursor"]:
                return
            filters = {**filters, "cursor": page["next_cursor"]}

    async def orderbook(self, symbol: str, depth: int | None = None) -> dict[str, Any]:
        """GET /v1/markets/{symbol}/orderbook (public): `{symbol, bids, asks, timestamp}`, levels best first."""
        return await self.call("GET", _with_query(f"/v1/markets/{urllib.parse.quote(symbol, safe='')}/orderbook", {"depth": depth}))

    async def ticker(self, symbol: str) -> dict[str, Any]:
        """GET /v1/markets/{symbol}/ticker (public): last price, best bid and ask, 24-hour statistics."""
        return await self.call("GET", f"/v1/markets/{urllib.parse.quote(symbol, safe='')}/ticker")

    async def place_bid(self, auction_id: str, *, quantity: Decimal, price: Decimal, client_bid_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"quantity": quantity, "price": price}
        if client_bid_id is not None:
            body["client_bid_id"] = client_bid_id
        return await self.call("POST", f"/v1/auctions/{urllib.parse.quote(auction_id, safe='')}/bids", body)

    async def cancel_bid(self, bid_id: str) -> dict[str, Any]:
        return await self.call("DELETE", f"/v1/bids/{urllib.parse.quote(bid_id, safe='')}")
