from decimal import Decimal

from django.db import transaction

from cantondex.ids import new_id

from .models import Balance


@transaction.atomic
def deposit_create(*, account_id: str, currency: str, amount: Decimal, transaction_hash: str) -> str:
    balance, _ = Balance.objects.select_for_update().get_or_create(account_id=account_id, currency=currency)
    balance.available += amount
    balance.save(update_fields=["available"])
    return new_id("dep")
