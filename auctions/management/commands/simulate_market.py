from django.core.exceptions import ValidationError

from auctions.models import BIDDING_STATUSES, Auction, Bid, BidStatus
from auctions.services import bid_raise, bid_submit
from kernel.errors import ServiceError
from kernel.json import plain
from trading.management.commands import simulate_market

AUCTION_SHARE = 0.25  # of the actions, while an auction takes bids


class Command(simulate_market.Command):
    help = simulate_market.Command.help + " While an auction takes bids, a quarter of the actions bid in it or raise a bid."

    def _act(self, symbol: str) -> None:
        auction = Auction.objects.filter(status__in=BIDDING_STATUSES).order_by("created_at").first()
        if auction is None or self.random.random() >= AUCTION_SHARE:
            super()._act(symbol)
            return
        name = self.random.choice(simulate_market.TRADERS)
        account = self.accounts[name]
        mine = Bid.objects.filter(auction=auction, account=account, status=BidStatus.ACTIVE).order_by("?").first()
        try:
            if mine is not None and self.random.random() < 0.3:
                bid = bid_raise(account_id=account.id, bid_id=mine.id, price=mine.price + auction.tick_size * self.random.randint(1, 20))
                action = "raised to"
            else:
                quantity = auction.lot_size * self.random.randint(5, 60)
                price = auction.reserve_price + auction.tick_size * self.random.randint(0, 300)
                bid, _ = bid_submit(account_id=account.id, auction_id=auction.id, quantity=quantity, price=price)
                action = "bid"
        except (ServiceError, ValidationError) as refused:
            self.stdout.write(f"{name} in {auction.id} -> refused: {getattr(refused, 'message', refused)}")
            return
        self.stdout.write(f"{name} {action} {plain(bid.quantity)} @ {plain(bid.price)} in {auction.id} -> {bid.id}")
