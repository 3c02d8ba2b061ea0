"""The create_account command."""

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.models import Account
from accounts.roles import user_roles
from compliance.models import KycChange

pytestmark = pytest.mark.django_db


def create(*args) -> dict:
    out = StringIO()
    call_command("create_account", *args, stdout=out)
    return json.loads(out.getvalue())


def test_a_trader_gets_an_account_kyc_state_and_deposits():
    from trading.selectors import balance_list

    result = create("carol", "--password", "pw-123456", "--deposit", "USDC=1000", "--deposit", "aapl=5",
                    "--kyc", "approved:tier_3")
    account = Account.objects.get(pk=result["account_id"])
    assert result == {"username": "carol", "account_id": account.id} and account.id.startswith("acc_")
    assert (account.kyc_status, account.kyc_tier) == ("approved", "tier_3")
    change = KycChange.objects.get(account=account)  # set through the audited KYC service
    assert (change.previous_status, change.new_status, change.new_tier) == ("pending_review", "approved", "tier_3")
    assert change.actor is None and change.reason == "create_account"
    assert {b.currency: b.total for b in balance_list(account_id=account.id)} == {"USDC": 1000, "AAPL": 5}
    assert get_user_model().objects.get(username="carol").check_password("pw-123456")


def test_the_defaults_are_a_trader_pending_review_at_tier_0():
    account = Account.objects.get(pk=create("dave", "--password", "pw-123456")["account_id"])
    assert (account.kyc_status, account.kyc_tier) == ("pending_review", "tier_0")
    assert not KycChange.objects.filter(account=account).exists()  # nothing was decided


@pytest.mark.parametrize("role, group", [("compliance", "compliance"), ("admin", "admin")])
def test_officers_and_administrators_have_no_account(role, group):
    assert create("erin", "--password", "pw-123456", "--role", role) == {"username": "erin", "account_id": None}
    user = get_user_model().objects.get(username="erin")
    assert user_roles(user) == {group} and user.is_staff


@pytest.mark.parametrize(
    "args",
    [
        ["--deposit", "USDC=-5"],
        ["--deposit", "USDC=abc"],
        ["--deposit", "=5"],
        ["--deposit", "USDC=NaN"],
        ["--kyc", "approved"],
        ["--kyc", "great:tier_9"],
        ["--role", "compliance", "--deposit", "USDC=5"],
    ],
)
def test_bad_arguments_create_nothing(args):
    with pytest.raises((CommandError, SystemExit)):
        create("frank", "--password", "pw-123456", *args)
    assert not get_user_model().objects.filter(username="frank").exists()


def test_an_existing_username_is_refused(trader):
    with pytest.raises(CommandError, match="already exists"):
        create(trader.username, "--password", "pw-123456")
