from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import KycStatus, KycTier
from accounts.roles import ADMIN, COMPLIANCE, TRADER
from accounts.services import user_create
from trading.services import deposit_create

DEMO_USERS = [
    # username, password, role, deposits
    ("alice", "alice-demo-pass", TRADER, {"USDC": Decimal("1000000"), "AAPL": Decimal("10000"), "GOOGL": Decimal("5000")}),
    ("bob", "bob-demo-pass", TRADER, {"USDC": Decimal("1000000"), "AAPL": Decimal("10000"), "GOOGL": Decimal("5000")}),
    ("officer", "officer-demo-pass", COMPLIANCE, {}),
    ("admin", "admin-demo-pass", ADMIN, {}),
]


class Command(BaseCommand):
    help = "Create the demo users (traders alice and bob with funds, a compliance officer, an administrator)."

    def handle(self, *args, **options):
        User = get_user_model()
        for username, password, role, deposits in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                with transaction.atomic():
                    user = user_create(username=username, password=password, role=role)
                    if role == TRADER:
                        account = user.account
                        account.kyc_status, account.kyc_tier = KycStatus.APPROVED, KycTier.TIER_3
                        account.save(update_fields=["kyc_status", "kyc_tier"])
                        for currency, amount in deposits.items():
                            deposit_create(
                                account_id=account.id, currency=currency, amount=amount, transaction_hash="seed_demo"
                            )
            self.stdout.write(f"  {role:<10} {username:<8} password: {password}")
        self.stdout.write("Demo users ready. Log in at http://127.0.0.1:8000/admin/ or get a token at POST /v1/auth/token.")
