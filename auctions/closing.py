"""The end of an auction, under its row lock and inside the caller's transaction: clear the book and settle it
(trades, DvP settlements through the ledger, payments, deliveries, refunds), or end without a sale and
release everything. Called by the services only (auction_step, auction_cancel).
"""

import hashlib
from datetime import datetime
from decimal import Decimal

from kernel.json import plain
from trading.changeset import ChangeSet
from trading.events import OrderFilled, SettlementConfirmed, SettlementCreated, TradeExecuted
from trading.ledger import DvpInstruction, ledger
from trading.matching import price_event
from trading.models import Market, Order, OrderStatus, OrderType, Settlement, SettlementStatus, Side, Trade, TradeStatus
from trading.money import QUANTUM, commission, notional
from trading.selectors import book_depth

from .clearing import Clearing, clear
from .events import (
    AuctionComplete,
    BidUpdated,
    SettlementComplete,
    SettlementProgress,
    SettlementStarted,
    own_bids_key,
)
from .models import Auction, AuctionResult, AuctionStatus, Bid, BidStatus
from .selectors import auction_state, book_of, ladder_of

ZERO = Decimal("0")


def close(auction: Auction, changes: ChangeSet, now: datetime) -> None:
    """Clear the book and settle it, or fail and refund everything."""
    bids = {bid.id: bid for bid in Bid.objects.filter(auction=auction, status=BidStatus.ACTIVE).order_by("arrival")}
    for bid in bids.values():
        bid.auction = auction  # their events show the clearing price set below
    book = book_of(auction)
    clearing = clear(
        bids=book, ladder=ladder_of(auction), reserve_price=auction.reserve_price, lot_size=auction.lot_size, allocation=auction.allocation
    )
    price = clearing.price
    proceeds = notional(clearing.volume, price) if price is not None else ZERO
    if price is None or (auction.min_proceeds is not None and proceeds < auction.min_proceeds):
        reason = "no_volume" if price is None else "below_min_proceeds"
        _record_result(auction, clearing, book, proceeds, settlement_id="", now=now)
        end_without_sale(auction, changes, now, status=AuctionStatus.FAILED, reason=reason)
        return
    settlement_id = _derived_id("set", auction.id, "auction")
    auction.clearing_price, auction.total_allocated = price, clearing.volume
    _settle(auction, bids, clearing, price, settlement_id, changes, now)
    auction.status, auction.ended_at, auction.update_pending = AuctionStatus.COMPLETED, now, False
    _record_result(auction, clearing, book, proceeds, settlement_id=settlement_id, now=now)
    changes.emit(auction_state(auction), key=auction.id)
    changes.emit(AuctionComplete.of(auction, proceeds=proceeds), key=auction.id)


def _settle(
    auction: Auction, bids: dict[str, Bid], clearing: Clearing, price: Decimal, settlement_id: str, changes: ChangeSet, now: datetime
) -> None:
    """Payments, deliveries, refunds, trades and their DvP settlements through the trading core's ledger."""
    market = Market.objects.select_for_update(no_key=True).get(pk=auction.market_id)
    winners = [(bids[bid_id], quantity) for bid_id, quantity in clearing.allocations.items() if quantity > 0]
    winners.sort(key=lambda item: item[0].arrival)
    participants = len(winners) + 1
    changes.emit(SettlementStarted(settlement_id=settlement_id, auction_id=auction.id, participants_total=participants), key=auction.id)
    sell_order = _filled_order(market, auction.seller_id, Side.SELL, clearing.volume, price, now, f"{auction.id}|seller")
    seller_receives = ZERO
    dvp_ids = []
    last_trade: Trade | None = None
    for bid, quantity in winners:
        gross = notional(quantity, price)
        fee = commission(gross)
        buy_order = _filled_order(market, bid.account_id, Side.BUY, quantity, price, now, f"{auction.id}|{bid.id}")
        trade = Trade.objects.create(
            id=_derived_id("trd", auction.id, bid.id),
            market=market,
            buy_order=buy_order,
            sell_order=sell_order,
            buyer_id=bid.account_id,
            seller_id=auction.seller_id,
            taker_side=Side.BUY,
            price=price,
            quantity=quantity,
            gross_amount=gross,
            commission=fee,
            executed_at=now,
        )
        settlement = Settlement(
            id=_derived_id("set", auction.id, bid.id), trade=trade, settlement_date=now, created_at=now, attempts=1
        )
        # The ledger is idempotent on the settlement id, derived from (auction, bid): a retried close asks again
        # with the same id. LedgerUnavailable or LedgerRejected rolls the whole close back; the job tries again.
        settlement.dvp_transaction_id = ledger().settle_dvp(
            DvpInstruction(
                settlement_id=settlement.id,
                trade_id=trade.id,
                symbol=market.symbol,
                buyer_account_id=bid.account_id,
                seller_account_id=auction.seller_id,
                base_currency=market.base,
                quote_currency=market.quote,
                quantity=quantity,
                payment=gross,
            )
        )
        settlement.status, settlement.settled_at = SettlementStatus.CONFIRMED, now
        settlement.save()
        trade.status = TradeStatus.SETTLED
        trade.save(update_fields=["status"])
        changes.spend_held(bid.account_id, market.quote, gross + fee)
        changes.release(bid.account_id, market.quote, bid.reserved - gross - fee)  # bid above the price, or part lost
        changes.credit(bid.account_id, market.base, quantity)
        changes.spend_held(auction.seller_id, market.base, quantity)
        seller_receives += gross - fee
        bid.status = BidStatus.FILLED if quantity == bid.quantity else BidStatus.PARTIALLY_FILLED
        bid.allocated_quantity, bid.reserved, bid.order, bid.trade, bid.updated_at = quantity, ZERO, buy_order, trade, now
        bid.save()
        for side, account_id in ((Side.BUY, bid.account_id), (Side.SELL, auction.seller_id)):
            changes.emit(TradeExecuted.of(trade, side), key=account_id)
            changes.emit(SettlementCreated.of(settlement), key=account_id)
            changes.emit(
                SettlementConfirmed(settlement_id=settlement.id, dvp_transaction_id=settlement.dvp_transaction_id), key=account_id
            )
        changes.emit(OrderFilled.of(buy_order, trade), key=bid.account_id)
        changes.emit(BidUpdated.of(bid), key=own_bids_key(auction.id, bid.account_id))
        dvp_ids.append(settlement.dvp_transaction_id)
        last_trade = trade
    assert last_trade is not None  # volume > 0: at least one winner
    changes.emit(OrderFilled.of(sell_order, last_trade), key=auction.seller_id)
    changes.credit(auction.seller_id, market.quote, seller_receives)
    changes.release(auction.seller_id, market.base, auction.supply_quantity - clearing.volume)
    for bid in bids.values():
        if bid.status == BidStatus.ACTIVE:
            _refund(bid, BidStatus.LOST, market.quote, changes, now)
    progress = SettlementProgress(
        settlement_id=settlement_id,
        auction_id=auction.id,
        phase="dvp",
        participants_agreed=participants,
        participants_total=participants,
        estimated_completion=now,
    )
    changes.emit(progress, key=auction.id)
    complete = SettlementComplete(
        settlement_id=settlement_id,
        auction_id=auction.id,
        clearing_price=price,
        total_allocated=clearing.volume,
        trades=len(dvp_ids),
        execution_path="dvp",
        dvp_transaction_ids=dvp_ids,
    )
    changes.emit(complete, key=auction.id)
    market.last_price = price
    market.save(update_fields=["last_price", "order_sequence"])
    changes.emit(price_event(market, book_depth(symbol=market.symbol)), key=market.symbol)


def _filled_order(market: Market, account_id: str, side: str, quantity: Decimal, price: Decimal, now, seed: str) -> Order:
    """The trading core's record of one side of the auction's fills: a limit order born filled, never on the book."""
    market.order_sequence += 1
    return Order.objects.create(
        id=_derived_id("ord", seed),
        account_id=account_id,
        market=market,
        side=side,
        order_type=OrderType.LIMIT,
        price=price,
        quantity=quantity,
        filled=quantity,
        fill_value=notional(quantity, price),
        status=OrderStatus.FILLED,
        status_reason="auction",
        book_sequence=market.order_sequence,
        created_at=now,
        updated_at=now,
    )


def end_without_sale(auction: Auction, changes: ChangeSet, now: datetime, *, status: str, reason: str) -> None:
    """Failed or cancelled: every bid refunded, the seller's supply released, the end revealed."""
    quote = auction.market.quote
    for bid in Bid.objects.filter(auction=auction, status=BidStatus.ACTIVE):
        bid.auction = auction
        _refund(bid, BidStatus.REFUNDED, quote, changes, now)
    changes.release(auction.seller_id, auction.market.base, auction.supply_quantity)
    auction.status, auction.status_reason, auction.ended_at, auction.update_pending = status, reason, now, False
    changes.emit(auction_state(auction), key=auction.id)
    changes.emit(AuctionComplete.of(auction, proceeds=ZERO), key=auction.id)


def _refund(bid: Bid, status: str, quote: str, changes: ChangeSet, now: datetime) -> None:
    changes.release(bid.account_id, quote, bid.reserved)
    bid.status, bid.reserved, bid.updated_at = status, ZERO, now
    bid.save()
    changes.emit(BidUpdated.of(bid), key=own_bids_key(bid.auction_id, bid.account_id))


def _record_result(auction: Auction, clearing: Clearing, book, proceeds: Decimal, *, settlement_id: str, now) -> None:
    levels: dict[Decimal, Decimal] = {}
    for bid in book:
        levels[bid.price] = levels.get(bid.price, ZERO) + bid.quantity
    curve, cumulative = [], ZERO
    for price in sorted(levels, reverse=True):
        cumulative += levels[price]
        curve.append([str(plain(price)), str(plain(cumulative))])
    marginal = [b for b in book if b.price == clearing.price]
    wanted = sum((b.quantity for b in marginal), ZERO)
    ratio = None
    if wanted:
        ratio = (sum((clearing.allocations[b.bid_id] for b in marginal), ZERO) / wanted).quantize(QUANTUM)
    AuctionResult.objects.create(
        auction=auction,
        clearing_price=clearing.price,
        volume=clearing.volume,
        demand=clearing.demand,
        supply=clearing.supply,
        imbalance=clearing.imbalance,
        proceeds=proceeds,
        marginal_fill_ratio=ratio,
        demand_curve=curve,
        book=[
            [b.arrival, str(plain(b.price)), str(plain(b.quantity)), str(plain(clearing.allocations.get(b.bid_id, ZERO)))]
            for b in book
        ],
        settlement_id=settlement_id,
        settled_at=now,
    )


def _derived_id(prefix: str, *parts: str) -> str:
    """An id fixed by what it records, so a retried close names the same orders, trades and settlements."""
    return f"{prefix}_{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:16]}"
