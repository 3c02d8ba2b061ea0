from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import KycStatus, KycTier
from accounts.roles import ADMIN, COMPLIANCE, TRADER
from accounts.services import backup_codes_issue, totp_device_add, user_create
from auctions.models import OPEN_STATUSES, Auction
from auctions.services import auction_create
from compliance.services import account_kyc_set
from kernel.json import plain
from trading.models import RESTING_STATUSES, Order
from trading.services import deposit_create, order_place

DEMO_OFFICER = "officer"  # approves the demo traders' KYC
DEMO_USERS = [
    # username, password, role, deposits
    ("alice", "alice-demo-pass", TRADER, {"USDC": Decimal("1000000"), "AAPL": Decimal("10000"), "GOOGL": Decimal("5000")}),
    ("bob", "bob-demo-pass", TRADER, {"USDC": Decimal("1000000"), "AAPL": Decimal("10000"), "GOOGL": Decimal("5000")}),
    ("issuer", "issuer-demo-pass", TRADER, {"AAPL": Decimal("2000")}),  # sells in the demo auction, so alice and bob can bid
    (DEMO_OFFICER, "officer-demo-pass", COMPLIANCE, {}),
    ("admin", "admin-demo-pass", ADMIN, {}),
]

# A resting book around a reference price: alice bids below it, bob offers above it. The reference
# itself stays free, so a demo sell and buy at 150.50 on AAPL trade with each other, not with the book.
DEMO_BOOKS = {"AAPL/USDC": Decimal("150.50"), "GOOGL/USDC": Decimal("175.00")}
BOOK_STEP = Decimal("0.10")
BOOK_LEVELS = 5


class Command(BaseCommand):
    help = "Create the demo users (traders alice and bob with funds, a compliance officer, an administrator)."

    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic():
            new_traders = []
            for username, password, role, deposits in DEMO_USERS:
                if not User.objects.filter(username=username).exists():
                    user = user_create(username=username, password=password, role=role)
                    if role == TRADER:
                        new_traders.append((user.account, deposits))
                self.stdout.write(f"  {role:<10} {username:<8} password: {password}")
                if role in (COMPLIANCE, ADMIN):  # staff sign in with a one-time code too
                    staff = User.objects.get(username=username)
                    device = totp_device_add(user=staff, name="demo")
                    self.stdout.write(f"  {'':<10} {'':<8} authenticator: {device.config_url}")
                    codes = " ".join(backup_codes_issue(user=staff))
                    self.stdout.write(f"  {'':<10} {'':<8} or one of these single-use codes: {codes}")
            # The demo officer approves the new traders' KYC, as an officer would (audited, announced).
            officer = User.objects.get(username=DEMO_OFFICER)
            for account, deposits in new_traders:
                account_kyc_set(
                    account_id=account.id, status=KycStatus.APPROVED, tier=KycTier.TIER_3, actor=officer, reason="demo data"
                )
                for currency, amount in deposits.items():
                    deposit_create(account_id=account.id, currency=currency, amount=amount, transaction_hash="seed_demo")
        self._seed_books()
        self._seed_auction()
        self.stdout.write("Demo users ready. Log in at http://127.0.0.1:8000/admin/ or get a token at POST /v1/auth/token.")

    def _seed_books(self):
        """Some resting orders on each market, unless it already has a book."""
        alice, bob = (get_user_model().objects.get(username=name).account for name in ("alice", "bob"))
        for symbol, reference in DEMO_BOOKS.items():
            if Order.objects.filter(market_id=symbol, status__in=RESTING_STATUSES).exists():
                continue
            for level in range(1, BOOK_LEVELS + 1):
                quantity = Decimal(10 * level)
                for account, side, price in (
                    (alice, "buy", reference - BOOK_STEP * level),
                    (bob, "sell", reference + BOOK_STEP * level),
                ):
                    order_place(
                        account_id=account.id, symbol=symbol, side=side, order_type="limit", quantity=quantity, price=price
                    )
            self.stdout.write(f"  book      {symbol}: {BOOK_LEVELS} bid and {BOOK_LEVELS} ask levels around {reference}")

    def _seed_auction(self):
        """A running demo auction (`simulate_market` bids in it), unless the issuer has one open."""
        User = get_user_model()
        seller = User.objects.get(username="issuer").account
        auction = Auction.objects.filter(seller=seller, status__in=OPEN_STATUSES).first()
        if auction is None:
            auction = auction_create(  # 500 AAPL at a reserve of 150 for 10 minutes; scheduled whenever none is open
                created_by=User.objects.get(username="admin"),
                seller_account_id=seller.id,
                symbol="AAPL/USDC",
                supply_quantity=Decimal("500"),
                reserve_price=Decimal("150.00"),
                duration_ms=10 * 60 * 1000,
            )
        self.stdout.write(
            f"  auction   {auction.id}: {plain(auction.supply_quantity)} {auction.market_id} from issuer, "
            f"reserve {plain(auction.reserve_price)}, {auction.status}"
        )
