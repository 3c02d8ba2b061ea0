import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from auctions.models import BIDDING_STATUSES, Auction, Bid, BidStatus
from auctions.services import bid_raise, bid_submit
from demo.management.commands.seed_demo import BOOK_STEP, DEMO_BOOKS
from kernel.errors import ServiceError
from kernel.json import plain
from trading.models import RESTING_STATUSES, Market, Order
from trading.selectors import best_price, market_symbols
from trading.services import order_cancel, order_place

TRADERS = ("alice", "bob")
MAX_RESTING_PER_MARKET = 40  # beyond this the oldest order is cancelled, so the book stays readable
AUCTION_SHARE = 0.25  # of the actions, while an auction takes bids: bid in it or raise a bid


class Command(BaseCommand):
    help = (
        "Place and cancel real orders between the demo traders (run seed_demo first), through the same "
        "services as the REST API, so every stream shows live traffic. Trades are settled by the server's jobs. "
        "While an auction takes bids, a quarter of the actions bid in it or raise a bid."
    )

    def add_arguments(self, parser):
        parser.add_argument("--symbols", nargs="+", metavar="SYMBOL", help="default: every active market")
        parser.add_argument("--rate", type=float, default=5.0, metavar="ORDERS_PER_S", help="actions per second (default 5)")
        parser.add_argument("--duration", type=float, default=60.0, metavar="S", help="seconds to run; 0 runs until interrupted")
        parser.add_argument("--seed", type=int, help="random seed, for a repeatable run")

    def handle(self, *args, symbols, rate, duration, seed, **options):
        known = market_symbols()
        symbols = symbols or known
        unknown = sorted(set(symbols) - set(known))
        if unknown:
            raise CommandError(f"unknown market(s): {', '.join(unknown)}; known: {', '.join(known)}")
        if rate <= 0:
            raise CommandError("--rate must be positive")
        accounts = {
            user.username: user.account
            for user in get_user_model().objects.filter(username__in=TRADERS).select_related("account")
        }
        if len(accounts) != len(TRADERS):
            raise CommandError("the demo traders are missing: run `python manage.py seed_demo` first")
        self.random = random.Random(seed)
        self.accounts = accounts
        deadline = time.monotonic() + duration if duration > 0 else None
        actions = 0
        try:
            while deadline is None or time.monotonic() < deadline:
                self._act(self.random.choice(symbols))
                actions += 1
                time.sleep(1 / rate)
        except KeyboardInterrupt:
            pass
        self.stdout.write(f"done: {actions} actions")

    def _act(self, symbol: str) -> None:
        auction = Auction.objects.filter(status__in=BIDDING_STATUSES).order_by("created_at").first()
        if auction is not None and self.random.random() < AUCTION_SHARE:
            self._bid(auction)
            return
        name = self.random.choice(TRADERS)
        account = self.accounts[name]
        resting = Order.objects.filter(market_id=symbol, status__in=RESTING_STATUSES)
        roll = self.random.random()
        if roll < 0.2 or resting.count() > MAX_RESTING_PER_MARKET:
            order = resting.filter(account=account).order_by("book_sequence").first() or resting.order_by("book_sequence").first()
            if order is not None:
                self._run(f"cancel {order.id} ({order.side} {plain(order.remaining)} @ {plain(order.limit_price)})", order_cancel, order_id=order.id)
                return
        side = self.random.choice(("buy", "sell"))
        quantity = Decimal(self.random.randint(1, 20))
        if roll > 0.9:
            self._run(
                f"{name} market {side} {quantity} {symbol}",
                order_place,
                account_id=account.id, symbol=symbol, side=side, order_type="market", quantity=quantity,
            )
            return
        price = self._limit_price(symbol, side)
        self._run(
            f"{name} limit {side} {quantity} {symbol} @ {plain(price)}",
            order_place,
            account_id=account.id, symbol=symbol, side=side, order_type="limit", quantity=quantity, price=price,
        )

    def _bid(self, auction: Auction) -> None:
        name = self.random.choice(TRADERS)
        account = self.accounts[name]
        mine = Bid.objects.filter(auction=auction, account=account, status=BidStatus.ACTIVE).order_by("?").first()
        try:
            if mine is not None and self.random.random() < 0.3:
                price = mine.price + auction.tick_size * self.random.randint(1, 20)
                bid = bid_raise(account_id=account.id, bid_id=mine.id, price=price)
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

    def _limit_price(self, symbol: str, side: str) -> Decimal:
        """Around the current price, one order in four crossing the spread."""
        market = Market.objects.get(pk=symbol)
        bid, ask = best_price(symbol=symbol, side="buy"), best_price(symbol=symbol, side="sell")
        reference = market.last_price
        if reference is None and bid is not None and ask is not None:
            reference = (bid + ask) / 2
        if reference is None:
            reference = DEMO_BOOKS.get(symbol, Decimal("100"))
        offset = BOOK_STEP * self.random.randint(-1, 5)  # mostly behind the reference, sometimes through it
        price = reference - offset if side == "buy" else reference + offset
        return max(market.tick_size, price.quantize(market.tick_size))

    def _run(self, description: str, service, **kwargs) -> None:
        try:
            order = service(**kwargs)
        except (ServiceError, ValidationError) as refused:
            self.stdout.write(f"{description} -> refused: {getattr(refused, 'message', refused)}")
            return
        filled = f", filled {plain(order.filled)}" if order.filled else ""
        self.stdout.write(f"{description} -> {order.id} {order.status}{filled}")
