"""Two closes at once: the auction's row lock lets one settle and the other find nothing left to do."""

import threading
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connections

from auctions.models import AuctionResult, AuctionStatus
from auctions.services import auction_step, bid_submit
from tests.auctions.conftest import ISSUE_BOOK, holdings, require_shared_database, reserved_total
from trading.models import Settlement, Trade

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_closes_settle_exactly_once(new_auction, bidders):
    require_shared_database()
    before = holdings()
    auction = new_auction()
    for user, (quantity, price) in zip(bidders[:4], ISSUE_BOOK, strict=True):
        bid_submit(account_id=user.account.id, auction_id=auction.id, quantity=D(quantity), price=D(price))
    after_end = auction.closes_at + timedelta(milliseconds=auction.close_window_ms, seconds=1)
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def close():
        try:
            start.wait()
            auction_step(auction_id=auction.id, now=after_end)
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    auction.refresh_from_db()
    assert auction.status == AuctionStatus.COMPLETED
    assert Trade.objects.count() == 4 and Settlement.objects.count() == 4 and AuctionResult.objects.count() == 1
    assert holdings() == before and reserved_total() == 0
