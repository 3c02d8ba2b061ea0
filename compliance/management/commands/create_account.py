import json
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import KycStatus, KycTier
from accounts.roles import ROLES, TRADER
from accounts.services import user_create
from compliance.services import COMMAND_LINE, account_kyc_set
from trading.services import deposit_create


def _deposit(value: str) -> tuple[str, Decimal]:
    currency, _, amount = value.partition("=")
    try:
        parsed = Decimal(amount)
    except InvalidOperation:
        parsed = None
    if not currency or parsed is None or not parsed.is_finite() or parsed <= 0:
        raise CommandError(f"--deposit takes CUR=AMOUNT with a positive amount, not {value!r}")
    return currency.upper(), parsed


def _kyc(value: str) -> tuple[str, str]:
    status, _, tier = value.partition(":")
    if status not in KycStatus.values or tier not in KycTier.values:
        raise CommandError(
            f"--kyc takes STATUS:TIER with STATUS in {', '.join(KycStatus.values)} "
            f"and TIER in {', '.join(KycTier.values)}"
        )
    return status, tier


class Command(BaseCommand):
    help = "Create a user with a role; traders get a trading account, a KYC state and optional deposits."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", choices=ROLES, default=TRADER)
        parser.add_argument("--deposit", action="append", default=[], type=_deposit, metavar="CUR=AMOUNT")
        parser.add_argument("--kyc", type=_kyc, default=(KycStatus.PENDING_REVIEW, KycTier.TIER_0), metavar="STATUS:TIER")

    def handle(self, *args, username, password, role, deposit, kyc, **options):
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} already exists")
        if role != TRADER and deposit:
            raise CommandError("only traders have an account to deposit into")
        with transaction.atomic():
            user = user_create(username=username, password=password, role=role)
            account = getattr(user, "account", None)
            if account is not None:
                status, tier = kyc
                account_kyc_set(
                    account_id=account.id, status=status, tier=tier, actor=COMMAND_LINE, reason="create_account"
                )
                for currency, amount in deposit:
                    deposit_create(
                        account_id=account.id, currency=currency, amount=amount, transaction_hash="create_account"
                    )
        self.stdout.write(json.dumps({"username": username, "account_id": account.id if account else None}))
