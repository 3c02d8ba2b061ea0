from decimal import Decimal

from django.db import models

from accounts.models import Account
from kernel.ids import PublicIdField
from trading.money import MONEY


class Market(models.Model):
    symbol = models.CharField(primary_key=True, max_length=32)
    base = models.CharField(max_length=16)
    quote = models.CharField(max_length=16)
    tick_size = models.DecimalField(**MONEY, default=Decimal("0.01"))
    lot_size = models.DecimalField(**MONEY, default=Decimal("1"))
    active = models.BooleanField(default=True)
    last_price = models.DecimalField(**MONEY, null=True, blank=True, help_text="Price of the latest trade.")
    order_sequence = models.BigIntegerField(default=0, help_text="Last arrival number given to an order.")

    class Meta:
        ordering = ["symbol"]

    def __str__(self) -> str:
        return self.symbol


class Balance(models.Model):
    """One currency of one account. total = available + reserved; `borrowed` is drawn on the credit line."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="balances")
    currency = models.CharField(max_length=16)
    available = models.DecimalField(**MONEY, default=Decimal("0"))
    reserved = models.DecimalField(**MONEY, default=Decimal("0"))
    borrowed = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "currency"], name="balance_unique_currency"),
            models.CheckConstraint(condition=models.Q(available__gte=0), name="balance_available_not_negative"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="balance_reserved_not_negative"),
        ]
        ordering = ["account", "currency"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.currency}"

    @property
    def total(self) -> Decimal:
        return self.available + self.reserved


class Side(models.TextChoices):
    BUY = "buy"
    SELL = "sell"


class OrderType(models.TextChoices):
    LIMIT = "limit"
    MARKET = "market"


class OrderStatus(models.TextChoices):
    PENDING = "pending"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class TimeInForce(models.TextChoices):
    GTC = "gtc", "good till cancelled"
    IOC = "ioc", "immediate or cancel"
    FOK = "fok", "fill or kill"


RESTING_STATUSES = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)
# The status_reason of a resting order cancelled by self-trade prevention (compliance counts these).
SELF_TRADE_PREVENTED = "self_trade_prevented"
# Client order ids: chosen by the client, unique per account, so a retried request places nothing twice.
CLIENT_ORDER_ID_PATTERN = r"\A[A-Za-z0-9_-]{1,64}\Z"


class Order(models.Model):
    id = PublicIdField(prefix="ord")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="orders")
    side = models.CharField(max_length=4, choices=Side.choices)
    order_type = models.CharField(max_length=6, choices=OrderType.choices)
    price = models.DecimalField(**MONEY, null=True, blank=True, help_text="Limit price; empty for market orders.")
    quantity = models.DecimalField(**MONEY)
    filled = models.DecimalField(**MONEY, default=Decimal("0"))
    fill_value = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Sum of quantity x price of the fills.")
    reserved = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="Funds still held for the unfilled part (quote for buys, base for sells)."
    )
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    status_reason = models.CharField(max_length=32, blank=True)
    client_order_id = models.CharField(
        max_length=64, blank=True, help_text="The client's own id for the order, unique per account; empty if none."
    )
    time_in_force = models.CharField(max_length=3, choices=TimeInForce.choices, default=TimeInForce.GTC)
    post_only = models.BooleanField(default=False, help_text="Refused rather than taking liquidity.")
    book_sequence = models.BigIntegerField(help_text="Arrival order within the market: time priority.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["market", "side", "status", "price", "book_sequence"], name="order_book"),
            models.Index(fields=["account", "created_at"], name="order_account"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(filled__lte=models.F("quantity")), name="order_not_overfilled"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="order_reserved_not_negative"),
            models.UniqueConstraint(
                fields=["account", "client_order_id"],
                condition=~models.Q(client_order_id=""),
                name="order_unique_client_order_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.side} {self.quantity} {self.market_id}"

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    @property
    def limit_price(self) -> Decimal:
        """The price of a limit order, as every order on the book is; a market order has none."""
        assert self.price is not None, f"order {self.id} is a market order"
        return self.price

    @property
    def average_fill_price(self) -> Decimal | None:
        if not self.filled:
            return None
        return (self.fill_value / self.filled).quantize(Decimal("1e-8"))


class TradeStatus(models.TextChoices):
    EXECUTED = "executed"
    SETTLED = "settled"
    CANCELLED = "cancelled"


class Trade(models.Model):
    id = PublicIdField(prefix="trd")
    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="trades")
    buy_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="buy_trades")
    sell_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="sell_trades")
    # Indexed by the `fills_*` indexes below, which lead with them: an index of their own would only cost writes.
    buyer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="buy_trades", db_index=False)
    seller = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="sell_trades", db_index=False)
    taker_side = models.CharField(max_length=4, choices=Side.choices)
    price = models.DecimalField(**MONEY)
    quantity = models.DecimalField(**MONEY)
    gross_amount = models.DecimalField(**MONEY, help_text="quantity x price, in the quote currency.")
    commission = models.DecimalField(**MONEY, help_text="Charged to each side, in the quote currency.")
    status = models.CharField(max_length=10, choices=TradeStatus.choices, default=TradeStatus.EXECUTED)
    executed_at = models.DateTimeField()

    class Meta:
        ordering = ["-executed_at"]
        # An account's fills newest first, one side each (trading.history.fill_list): a page is a short backward
        # range scan of each, however many fills the account has.
        indexes = [
            models.Index(fields=["buyer", "executed_at", "id"], name="fills_bought"),
            models.Index(fields=["seller", "executed_at", "id"], name="fills_sold"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.quantity} {self.market_id} @ {self.price}"


class SettlementStatus(models.TextChoices):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"


class Settlement(models.Model):
    id = PublicIdField(prefix="set")
    trade = models.OneToOneField(Trade, on_delete=models.PROTECT, related_name="settlement")
    status = models.CharField(max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.PENDING)
    settlement_date = models.DateTimeField()
    dvp_transaction_id = models.CharField(max_length=100, blank=True)
    failure_reason = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="settlement_queue")]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"


class Deposit(models.Model):
    id = PublicIdField(prefix="dep")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="deposits")
    currency = models.CharField(max_length=16)
    amount = models.DecimalField(**MONEY)
    transaction_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.currency}"


class WithdrawalStatus(models.TextChoices):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


class Withdrawal(models.Model):
    id = PublicIdField(prefix="wth")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="withdrawals")
    currency = models.CharField(max_length=16)
    amount = models.DecimalField(**MONEY)
    address = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=WithdrawalStatus.choices, default=WithdrawalStatus.PENDING)
    transaction_hash = models.CharField(max_length=200, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="withdrawal_queue")]

    def __str__(self) -> str:
        return f"{self.id} {self.amount} {self.currency} ({self.status})"


class CancelAllAfter(models.Model):
    """An account's dead-man's switch: when `trigger_at` passes without being pushed back, a job cancels
    every open order of the account (reason cancel_all_after) and removes the row."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="cancel_all_after")
    trigger_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.account_id} at {self.trigger_at:%Y-%m-%d %H:%M:%S}"


class MarginState(models.Model):
    """Whether an account is below the margin warning level, so a margin_call goes out once per fall."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="margin_state")
    in_margin_call = models.BooleanField(default=False)
    margin_level = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.account_id} {'in margin call' if self.in_margin_call else 'clear'}"
