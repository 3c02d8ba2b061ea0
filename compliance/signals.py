"""Surveillance runs on trading's model signals, once the change has committed.

The checks run after the commit (so a rolled-back order raises nothing) and in their own transaction;
a failing check is logged and never breaks the trading request that triggered it (robust=True).
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from trading.models import Deposit, Order, Trade, Withdrawal

from . import rules


def _after_commit(check, **kwargs) -> None:
    transaction.on_commit(partial(check, **kwargs), robust=True)


@receiver(post_save, sender=Order, dispatch_uid="compliance.order_saved")
def order_saved(sender, instance: Order, created: bool, **kwargs):
    if created:
        _after_commit(rules.orders_velocity_check, account_id=instance.account_id)
    if rules.cancelled_by_self_trade_prevention(instance):
        _after_commit(rules.self_trade_attempts_check, account_id=instance.account_id)
    elif rules.cancelled_by_account(instance):
        _after_commit(
            rules.order_cancelled_check, account_id=instance.account_id, market_id=instance.market_id, side=instance.side
        )


@receiver(post_save, sender=Trade, dispatch_uid="compliance.trade_saved")
def trade_saved(sender, instance: Trade, created: bool, **kwargs):
    if created:
        _after_commit(rules.trade_check, trade_id=instance.id)


@receiver(post_save, sender=Deposit, dispatch_uid="compliance.deposit_saved")
@receiver(post_save, sender=Withdrawal, dispatch_uid="compliance.withdrawal_saved")
def transfer_saved(sender, instance, created: bool, **kwargs):
    if created:
        _after_commit(
            rules.transfer_surveil,
            transaction_type="deposit" if sender is Deposit else "withdrawal",
            transaction_id=instance.id,
            account_id=instance.account_id,
            currency=instance.currency,
            amount=instance.amount,
        )
