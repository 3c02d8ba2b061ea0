"""Test accounts' KYC, set the way an officer sets it: through compliance.services.account_kyc_set."""

from django.contrib.auth import get_user_model

from accounts.roles import COMPLIANCE
from accounts.services import user_create
from compliance.services import account_kyc_set

KYC_OFFICER = "kyc-officer"


def kyc_set(user, *, status: str, tier: str) -> None:
    """Give `user`'s account this KYC status and tier (audited and announced, like any decision)."""
    officer = get_user_model().objects.filter(username=KYC_OFFICER).first() or user_create(
        username=KYC_OFFICER, password="kyc-officer-pass", role=COMPLIANCE
    )
    account_kyc_set(account_id=user.account.id, status=status, tier=tier, actor=officer, reason="test setup")
    user.account.refresh_from_db(fields=["kyc_status", "kyc_tier"])
