"""SQL statements per order, counted in a process of the project of its own:

    python -m bench.orders.statements SYMBOL MAKER_ACCOUNT TAKER_ACCOUNT

Django's CaptureQueriesContext around trading.services.order_place (the service the REST view calls),
on an empty book: a sell that rests, then a buy that fills once against it. One pair goes first
uncounted, so lazy start-up (caches, first reads) is not counted. The statements are those Django
sends; BEGIN and COMMIT of the service's transaction are not among them. Prints one JSON line.

The same pair is then counted through the whole request, `POST /v1/orders` through Django's test
client (middleware, JWT authentication, the caller's account, the view, the answer's serialisation).

A process without a relay (this one) wakes the gateways' relays after the commit with one NOTIFY per
event on PostgreSQL; the gateway, whose own relay is woken in memory, sends none. Those are counted
apart ("wakeups_*") and left out of the figures.
"""

import json
import sys
from decimal import Decimal

PRICE = Decimal("100")


def count(symbol: str, maker: str, taker: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trading.models import Market
    from trading.services import order_place

    def place(account_id: str, side: str):
        return order_place(
            account_id=account_id, symbol=symbol, side=side, order_type="limit", quantity=Decimal("1"), price=PRICE
        )

    place(maker, "sell")
    place(taker, "buy")
    with CaptureQueriesContext(connection) as resting:
        rested = place(maker, "sell")
    with CaptureQueriesContext(connection) as filling:
        filled = place(taker, "buy")
    if rested.status != "open" or filled.status != "filled":
        raise RuntimeError(f"expected a resting and a filled order, got {rested.status} and {filled.status}")
    resting_sql, resting_wakeups = _split(resting.captured_queries)
    filling_sql, filling_wakeups = _split(filling.captured_queries)
    request_resting, request_filling = _requests(symbol, maker, taker)
    return {
        "method": "CaptureQueriesContext around trading.services.order_place",
        "resting": len(resting_sql),
        "filling": len(filling_sql),
        "request_resting": len(request_resting),
        "request_filling": len(request_filling),
        "wakeups_resting": resting_wakeups,
        "wakeups_filling": filling_wakeups,
        "markets_in_database": Market.objects.count(),
        "resting_sql": resting_sql,
        "filling_sql": filling_sql,
        "request_resting_sql": request_resting,
        "request_filling_sql": request_filling,
    }


def _requests(symbol: str, maker: str, taker: str) -> tuple[list[str], list[str]]:
    """The statements of a whole POST /v1/orders that rests, then of one that fills once against it."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Account
    from bench.database import token_for

    client = Client()

    def post(account_id: str, side: str, status: str) -> list[str]:
        token = token_for(Account.objects.select_related("user").get(pk=account_id).user)
        body = {"symbol": symbol, "side": side, "order_type": "limit", "quantity": 1, "price": int(PRICE)}
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                "/v1/orders", json.dumps(body), content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1",
            )
        if response.status_code != 201 or response.json()["status"] != status:
            raise RuntimeError(f"POST /v1/orders: expected 201 {status}, got {response.status_code} {response.content[:300]!r}")
        return _split(captured.captured_queries)[0]

    return post(maker, "sell", "open"), post(taker, "buy", "filled")


def _split(captured: list[dict]) -> tuple[list[str], int]:
    """The statements the gateway would send too, and the number of relay wake-ups (NOTIFY) it would not."""
    statements = [q["sql"] for q in captured if q["sql"] not in ("BEGIN", "COMMIT")]  # Django logs these too
    kept = [sql for sql in statements if not sql.startswith("NOTIFY ")]
    return kept, len(statements) - len(kept)


def main(argv: list[str]) -> int:
    import django

    django.setup()
    symbol, maker, taker = argv
    print(json.dumps(count(symbol, maker, taker)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
