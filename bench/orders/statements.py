"""SQL statements per order, counted in a process of the project of its own:

    python -m bench.orders.statements SYMBOL MAKER_ACCOUNT TAKER_ACCOUNT

Django's CaptureQueriesContext around trading.services.order_place (the service the REST view calls),
on an empty book: a sell that rests, then a buy that fills once against it. One pair goes first
uncounted, so lazy start-up (caches, first reads) is not counted. The statements are those Django
sends; BEGIN and COMMIT of the service's transaction are not among them. Prints one JSON line.

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
    return {
        "method": "CaptureQueriesContext around trading.services.order_place",
        "resting": len(resting_sql),
        "filling": len(filling_sql),
        "wakeups_resting": resting_wakeups,
        "wakeups_filling": filling_wakeups,
        "markets_in_database": Market.objects.count(),
        "resting_sql": resting_sql,
        "filling_sql": filling_sql,
    }


def _split(captured: list[dict]) -> tuple[list[str], int]:
    """The statements the gateway would send too, and the number of relay wake-ups (NOTIFY) it would not."""
    statements = [q["sql"] for q in captured]
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
