from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.roles import TRADER
from accounts.services import user_create
from auctions.models import OPEN_STATUSES, Auction
from auctions.services import auction_create
from kernel.json import plain
from trading.management.commands import seed_demo
from trading.services import deposit_create

# The demo auction's seller: its own trader, so alice and bob can both bid.
ISSUER = ("issuer", "issuer-demo-pass", {"AAPL": Decimal("2000")})
DEMO_AUCTION = {
    "symbol": "AAPL/USDC",
    "supply_quantity": Decimal("500"),
    "reserve_price": Decimal("150.00"),
    "duration_ms": 10 * 60 * 1000,
}


class Command(seed_demo.Command):
    help = seed_demo.Command.help.rstrip(".") + ", and schedule a demo auction (an issuer sells AAPL for 10 minutes)."

    def handle(self, *args, **options):
        super().handle(*args, **options)
        User = get_user_model()
        username, password, deposits = ISSUER
        if not User.objects.filter(username=username).exists():
            with transaction.atomic():
                account = user_create(username=username, password=password, role=TRADER).account
                for currency, amount in deposits.items():
                    deposit_create(account_id=account.id, currency=currency, amount=amount, transaction_hash="seed_demo")
        self.stdout.write(f"  {TRADER:<10} {username:<8} password: {password}")
        seller = User.objects.get(username=username).account
        running = Auction.objects.filter(seller=seller, status__in=OPEN_STATUSES).first()
        if running is None:
            admin = User.objects.get(username="admin")
            running = auction_create(created_by=admin, seller_account_id=seller.id, **DEMO_AUCTION)
        self.stdout.write(
            f"  auction   {running.id}: {plain(running.supply_quantity)} {running.market_id} from {username}, "
            f"reserve {plain(running.reserve_price)}, {running.status}; `simulate_market` bids in it"
        )
