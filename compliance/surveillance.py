"""Surveillance off the request path, and durable: a queue of owed checks that a background job works off.

Trading's changes (compliance.signals) add a SurveillanceTask row inside their own transaction: a
rolled-back order owes nothing, a committed one owes its check whatever happens next. The job
`compliance.surveillance` (every CDX_SURVEILLANCE_INTERVAL_S, and woken by the commit in this
process) runs the owed checks oldest first and deletes their rows in the same transaction as the
alerts they raise: after a crash it resumes where it stopped, and no trading request waits for a rule.

The account-wide checks (velocity, self-trade attempts) count what is already in the database, so a
batch runs them once per account however many of its orders the batch holds. A failing check is
logged and its task dropped; it never blocks the checks behind it.
"""

import logging

from django.db import transaction
from django.utils import timezone

from kernel import jobs
from kernel.sql import rows_insert
from trading.models import Deposit, Order, Withdrawal

from . import rules
from .models import SurveillanceTask

log = logging.getLogger(__name__)

ORDER_PLACED = "order_placed"
SELF_TRADE_PREVENTED = "self_trade_prevented"
ORDER_CANCELLED = "order_cancelled"
TRADE = "trade"
DEPOSIT = "deposit"
WITHDRAWAL = "withdrawal"
BATCH_SIZE = 500


def surveillance_task_add(*, kind: str, subject_id: str) -> None:
    """Owe a check, in the caller's transaction; the job is woken once it commits."""
    # Sent as SQL (kernel.sql): one per order, and the ORM's insert costs several times the database's time.
    rows_insert(SurveillanceTask, ("kind", "subject_id", "created_at"), [(kind, subject_id, timezone.now())])
    transaction.on_commit(jobs.wake)


def surveillance_run_pending() -> int:
    """The surveillance job: run every owed check, oldest first; returns how many tasks were done."""
    done = 0
    while True:
        count = _batch_run()
        done += count
        if count < BATCH_SIZE:
            return done


def _transfer_check(model, transaction_type: str, transfer_id: str) -> None:
    transfer = model.objects.filter(pk=transfer_id).first()
    if transfer is not None:
        rules.transfer_surveil(
            transaction_type=transaction_type,
            transaction_id=transfer.id,
            account_id=transfer.account_id,
            currency=transfer.currency,
            amount=transfer.amount,
        )


def _order_cancelled_check(order_id: str) -> None:
    order = Order.objects.filter(pk=order_id).only("account_id", "market_id", "side").first()
    if order is not None:
        rules.order_cancelled_check(account_id=order.account_id, market_id=order.market_id, side=order.side)


CHECKS = {
    ORDER_PLACED: lambda account_id: rules.orders_velocity_check(account_id=account_id),
    SELF_TRADE_PREVENTED: lambda account_id: rules.self_trade_attempts_check(account_id=account_id),
    ORDER_CANCELLED: _order_cancelled_check,
    TRADE: lambda trade_id: rules.trade_check(trade_id=trade_id),
    DEPOSIT: lambda deposit_id: _transfer_check(Deposit, "deposit", deposit_id),
    WITHDRAWAL: lambda withdrawal_id: _transfer_check(Withdrawal, "withdrawal", withdrawal_id),
}
ACCOUNT_WIDE = {ORDER_PLACED, SELF_TRADE_PREVENTED}


@transaction.atomic
def _batch_run() -> int:
    # skip_locked: a second runner (a worker beside a server that still runs jobs) takes other rows.
    tasks = list(SurveillanceTask.objects.select_for_update(skip_locked=True).order_by("id")[:BATCH_SIZE])
    if not tasks:
        return 0
    done: set[tuple[str, str]] = set()
    for task in tasks:
        key = (task.kind, task.subject_id)
        if task.kind in ACCOUNT_WIDE and key in done:
            continue
        done.add(key)
        try:
            with transaction.atomic():
                CHECKS[task.kind](task.subject_id)
        except Exception:
            log.exception("surveillance check %s of %s failed; dropped", task.kind, task.subject_id)
    SurveillanceTask.objects.filter(id__in=[task.id for task in tasks]).delete()
    return len(tasks)
