from decimal import Decimal

from django.db import models

from accounts.models import Account

MONEY = {"max_digits": 30, "decimal_places": 8}


class Market(models.Model):
    symbol = models.CharField(primary_key=True, max_length=32)
    base = models.CharField(max_length=16)
    quote = models.CharField(max_length=16)
    tick_size = models.DecimalField(**MONEY, default=Decimal("0.01"))
    lot_size = models.DecimalField(**MONEY, default=Decimal("1"))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["symbol"]

    def __str__(self) -> str:
        return self.symbol


class Balance(models.Model):
    """One currency of one account. total = available + reserved."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balances")
    currency = models.CharField(max_length=16)
    available = models.DecimalField(**MONEY, default=Decimal("0"))
    reserved = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "currency"], name="balance_unique_currency"),
            models.CheckConstraint(condition=models.Q(available__gte=0), name="balance_available_not_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="balance_reserved_not_negative"),
        ]
        ordering = ["account", "currency"]

    @property
    def total(self) -> Decimal:
        return self.available + self.reserved

    def __str__(self) -> str:
        return f"{self.account_id} {self.currency}"
