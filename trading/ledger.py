"""The settlement ledger seam: where a Daml / Canton ledger client plugs in.

The gateway keeps its own balances; the ledger is the system of record that moves the assets.
Settlement asks the adapter to run one delivery-versus-payment transfer per trade and withdrawals
ask it to send funds out. The adapter is chosen by the `CDX_LEDGER_ADAPTER` setting (a dotted path
to a class taking no arguments); `LocalLedger` settles at once and is the default.

An adapter must be idempotent on the instruction id (settlement or withdrawal id): the gateway may
ask again after a crash between the ledger call and its own commit.
"""

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class DvpInstruction:
    settlement_id: str
    trade_id: str
    symbol: str
    buyer_account_id: str
    seller_account_id: str
    base_currency: str
    quote_currency: str
    quantity: Decimal  # base delivered by the seller
    payment: Decimal  # quote paid by the buyer (gross amount)


@dataclass(frozen=True)
class TransferInstruction:
    withdrawal_id: str
    account_id: str
    currency: str
    amount: Decimal
    address: str


class LedgerRejected(Exception):
    """The ledger refused the instruction for good: the settlement or withdrawal fails with `reason`."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class LedgerUnavailable(Exception):
    """The ledger could not be reached: the instruction stays pending and is tried again later."""


class LedgerAdapter(Protocol):
    def settle_dvp(self, instruction: DvpInstruction) -> str:
        """Run the atomic delivery-versus-payment; return its transaction id (`dvp_tx_<hex>`)."""

    def transfer_out(self, instruction: TransferInstruction) -> str:
        """Send funds to an outside address; return the transaction hash."""


class LocalLedger:
    """The in-process ledger: every instruction succeeds, with an id derived from the instruction id."""

    def settle_dvp(self, instruction: DvpInstruction) -> str:
        return "dvp_tx_" + _digest(instruction.settlement_id)[:32]

    def transfer_out(self, instruction: TransferInstruction) -> str:
        return "0x" + _digest(instruction.withdrawal_id)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def ledger() -> LedgerAdapter:
    return _adapter(settings.CDX_LEDGER_ADAPTER)


@lru_cache(maxsize=4)
def _adapter(dotted_path: str) -> LedgerAdapter:
    return import_string(dotted_path)()
