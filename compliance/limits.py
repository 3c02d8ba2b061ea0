"""What a KYC tier allows, checked by trading before it moves money."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Account, KycStatus
from kernel.errors import ServiceError
from kernel.json import plain
from kernel.numbers import decimal_text
from trading.models import Withdrawal, WithdrawalStatus

from .defaults import DAILY_WITHDRAWAL_LIMITS
from .models import KycTierLimit

# Accounts in these KYC states may not take money out, whatever their tier.
WITHDRAWALS_BLOCKED = {KycStatus.REJECTED, KycStatus.SUSPENDED, KycStatus.EXPIRED}
WINDOW = timedelta(hours=24)


def daily_withdrawal_limit(*, tier: str) -> Decimal | None:
    """The tier's cap per currency over 24 hours (None: no cap). A deleted row falls back to the default."""
    row = KycTierLimit.objects.filter(tier=tier).first()
    return row.daily_withdrawal_limit if row else DAILY_WITHDRAWAL_LIMITS.get(tier)


def ensure_withdrawal_allowed(*, account_id: str, currency: str, amount: Decimal) -> None:
    """Raises ServiceError when the account's KYC state or tier does not allow this withdrawal now.

    Call it inside the transaction that records the withdrawal.
    """
    # Locking the account serialises its withdrawals, so two requests cannot both fit under the cap.
    account = Account.objects.select_for_update(no_key=True).get(pk=account_id)
    if account.kyc_status in WITHDRAWALS_BLOCKED:
        raise ServiceError(
            "KYC_WITHDRAWALS_BLOCKED",
            f"Withdrawals are not allowed while the account's KYC status is {account.kyc_status}.",
            details={"kyc_status": account.kyc_status},
            status_code=403,
        )
    limit = daily_withdrawal_limit(tier=account.kyc_tier)
    if limit is None:
        return
    used = (
        Withdrawal.objects.filter(account_id=account_id, currency=currency, created_at__gte=timezone.now() - WINDOW)
        .exclude(status=WithdrawalStatus.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    ) or Decimal("0")
    if used + amount > limit:
        remaining = max(limit - used, Decimal("0"))
        raise ServiceError(
            "WITHDRAWAL_LIMIT_EXCEEDED",
            f"KYC {account.kyc_tier} allows withdrawing {decimal_text(limit)} {currency} per 24 hours; "
            f"{decimal_text(remaining)} {currency} remain.",
            details={
                "kyc_tier": account.kyc_tier,
                "currency": currency,
                "daily_limit": plain(limit),
                "used": plain(used),
                "remaining": plain(remaining),
            },
        )
