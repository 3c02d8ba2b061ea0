"""Surveillance is owed on trading's model signals, inside the trading change's own transaction.

Each signal adds a task to the durable queue of compliance.surveillance (one insert); the rules run in
the background job, never in the trading request, and a rolled-back change owes nothing.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from trading.models import Deposit, Order, Trade, Withdrawal

from . import rules
from .surveillance import (
    DEPOSIT,
    ORDER_CANCELLED,
    ORDER_PLACED,
    SELF_TRADE_PREVENTED,
    TRADE,
    WITHDRAWAL,
    surveillance_task_add,
)


@receiver(post_save, sender=Order, dispatch_uid="compliance.order_saved")
def order_saved(sender, instance: Order, created: bool, **kwargs):
    if created:
        surveillance_task_add(kind=ORDER_PLACED, subject_id=instance.account_id)
    if rules.cancelled_by_self_trade_prevention(instance):
        surveillance_task_add(kind=SELF_TRADE_PREVENTED, subject_id=instance.account_id)
    elif rules.cancelled_by_account(instance):
        surveillance_task_add(kind=ORDER_CANCELLED, subject_id=instance.id)


@receiver(post_save, sender=Trade, dispatch_uid="compliance.trade_saved")
def trade_saved(sender, instance: Trade, created: bool, **kwargs):
    if created:
        surveillance_task_add(kind=TRADE, subject_id=instance.id)


@receiver(post_save, sender=Deposit, dispatch_uid="compliance.deposit_saved")
@receiver(post_save, sender=Withdrawal, dispatch_uid="compliance.withdrawal_saved")
def transfer_saved(sender, instance, created: bool, **kwargs):
    if created:
        surveillance_task_add(kind=DEPOSIT if sender is Deposit else WITHDRAWAL, subject_id=instance.id)
