"""A separate process placing orders through the services, for the concurrency tests.

    python -m tests.trading.order_worker DATABASE_URL ACCOUNT_ID SIDE COUNT PRICE

Prints one JSON line: how many orders were accepted and how many were refused for lack of funds.
"""

import json
import os
import sys
from decimal import Decimal


def main(database_url: str, account_id: str, side: str, count: str, price: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cantondex.settings")
    os.environ["CDX_IN_PROCESS_JOBS"] = "0"
    import django

    django.setup()
    from kernel.errors import ServiceError
    from trading.services import order_place

    accepted = refused = 0
    for _ in range(int(count)):
        try:
            order_place(
                account_id=account_id, symbol="AAPL/USDC", side=side, order_type="limit",
                quantity=Decimal("1"), price=Decimal(price),
            )
            accepted += 1
        except ServiceError as error:
            assert error.code == "INSUFFICIENT_FUNDS", error.code
            refused += 1
    print(json.dumps({"accepted": accepted, "refused": refused}))


if __name__ == "__main__":
    main(*sys.argv[1:])
