from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKeyScope
from accounts.permissions import HasApiKeyScope, IsStaffRole, IsTrader
from accounts.roles import OFFICER_ROLES, user_roles
from accounts.selectors import account_of_trader
from kernel.inputs import query_filters
from kernel.json import isoformat, plain
from kernel.schema import ERROR
from streams.events import wire

from . import selectors, services
from .events import BidAccepted
from .serializers import (
    AuctionCreateSerializer,
    AuctionQuerySerializer,
    AuctionResultSerializer,
    AuctionSerializer,
    BidCancelledSerializer,
    BidCreateSerializer,
    BidRaiseSerializer,
    BidSerializer,
    TrancheSerializer,
)


def _account_id(request) -> str:
    return account_of_trader(user=request.user).id


def _auction_body(auction) -> dict:
    """The contract's fields (live figures included) plus the terms bidders need."""
    return {
        **wire(selectors.auction_state(auction))["payload"],
        "seller_account_id": auction.seller_id,
        "allocation": auction.allocation,
        "tick_size": plain(auction.tick_size),
        "lot_size": plain(auction.lot_size),
        "supply_quantity": plain(auction.supply_quantity),
        "supply_schedule": auction.supply_schedule,
        "ladder": TrancheSerializer(auction.ladder.all(), many=True).data,
        "min_bid_quantity": plain(auction.min_bid_quantity),
        "max_bids_per_account": auction.max_bids_per_account,
        "max_quantity_per_account": None if auction.max_quantity_per_account is None else plain(auction.max_quantity_per_account),
        "min_proceeds": None if auction.min_proceeds is None else plain(auction.min_proceeds),
        "invitation_only": bool(auction.allow_list),
        "close_window_ms": auction.close_window_ms,
        "status_reason": auction.status_reason or None,
        "created_at": isoformat(auction.created_at),
    }


class AuctionListCreateApi(APIView):
    def get_permissions(self):
        return [IsStaffRole()] if self.request.method == "POST" else [IsAuthenticated(), HasApiKeyScope()]

    @extend_schema(
        responses=AuctionSerializer(many=True),
        summary="Auctions, newest first",
        parameters=[AuctionQuerySerializer],
    )
    def get(self, request):
        filters = query_filters(request, AuctionQuerySerializer)
        for auction in selectors.auction_list(**filters):
            services.auction_step(auction_id=auction.id)
        auctions = selectors.auction_list(**filters)
        return Response([_auction_body(auction) for auction in auctions])

    @extend_schema(
        request=AuctionCreateSerializer,
        responses={201: AuctionSerializer},
        summary="Schedule an auction and reserve the seller's supply (staff)",
    )
    def post(self, request):
        serializer = AuctionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        auction = services.auction_create(created_by=request.user, **serializer.validated_data)
        return Response(_auction_body(auction), status=status.HTTP_201_CREATED)


class AuctionDetailApi(APIView):
    @extend_schema(responses=AuctionSerializer, summary="One auction with its live figures and ladder")
    def get(self, request, auction_id: str):
        services.auction_step(auction_id=auction_id)
        return Response(_auction_body(selectors.auction_get(auction_id=auction_id)))


class AuctionCancelApi(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(request=None, responses=AuctionSerializer, summary="Cancel an open auction: every reservation released (staff)")
    def post(self, request, auction_id: str):
        auction = services.auction_cancel(auction_id=auction_id, cancelled_by=request.user)
        return Response(_auction_body(auction))


class AuctionResultApi(APIView):
    @extend_schema(
        responses={200: AuctionResultSerializer, 409: ERROR},  # RESULT_NOT_AVAILABLE before the end
        summary="The public result: anonymised book and demand curve, ladder, clearing price, end proof",
    )
    def get(self, request, auction_id: str):
        services.auction_step(auction_id=auction_id)
        result = selectors.result_get(auction_id=auction_id)
        auction = result.auction
        return Response(
            {
                "auction_id": auction.id,
                "status": auction.status,
                "status_reason": auction.status_reason or None,
                "clearing_price": None if result.clearing_price is None else plain(result.clearing_price),
                "total_allocated": plain(result.volume),
                "demand": plain(result.demand),
                "supply": plain(result.supply),
                "imbalance": plain(result.imbalance),
                "proceeds": plain(result.proceeds),
                "fill_ratio_at_margin": None if result.marginal_fill_ratio is None else plain(result.marginal_fill_ratio),
                "reserve_price": plain(auction.reserve_price),
                "lot_size": plain(auction.lot_size),
                "allocation": auction.allocation,
                "ladder": TrancheSerializer(auction.ladder.all(), many=True).data,
                "demand_curve": [{"price": price, "quantity": quantity} for price, quantity in _numbers(result.demand_curve)],
                "bids": [
                    {"arrival": arrival, "price": price, "quantity": quantity, "allocated_quantity": allocated}
                    for arrival, price, quantity, allocated in _numbers(result.book)
                ],
                "end_at": isoformat(auction.end_at) if auction.end_at else None,
                "end_salt": auction.end_salt or None,
                "end_commitment": auction.end_commitment or None,
                "commitment_rule": "sha256(auction_id + '|' + end_at + '|' + end_salt), hex",
                "settlement_id": result.settlement_id or None,
                "settled_at": isoformat(result.settled_at),
            }
        )


def bid_view(bid) -> dict:
    """The owner's view of a bid (the own stream's payload) and the contract's `timestamp` (accepted at)."""
    view = wire(BidAccepted.of(bid))["payload"]
    return {**view, "timestamp": view["created_at"]}


def _numbers(rows):
    """Decimals kept as text in JSON columns, back to exact JSON numbers."""
    return [[value if isinstance(value, int) else plain(Decimal(value)) for value in row] for row in rows]


class AuctionBidsApi(APIView):
    permission_classes = [IsTrader]
    api_key_scopes = {"GET": ApiKeyScope.READ, "POST": ApiKeyScope.TRADE}

    @extend_schema(responses=BidSerializer(many=True), summary="The caller's bids in this auction, newest first")
    def get(self, request, auction_id: str):
        selectors.auction_get(auction_id=auction_id)
        bids = selectors.bid_list(account_id=_account_id(request), auction_id=auction_id)
        return Response([bid_view(bid) for bid in bids])

    @extend_schema(request=BidCreateSerializer, responses={201: BidSerializer}, summary="Bid: price x quantity plus fee is reserved")
    def post(self, request, auction_id: str):
        serializer = BidCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bid, created = services.bid_submit(account_id=_account_id(request), auction_id=auction_id, **serializer.validated_data)
        return Response(bid_view(bid), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BidListApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(
        responses=BidSerializer(many=True), summary="The caller's bids, newest first", parameters=[OpenApiParameter("auction_id", str)]
    )
    def get(self, request):
        bids = selectors.bid_list(account_id=_account_id(request), auction_id=request.query_params.get("auction_id"))
        return Response([bid_view(bid) for bid in bids])


class BidDetailApi(APIView):
    api_key_scopes = {"GET": ApiKeyScope.READ, "PATCH": ApiKeyScope.TRADE, "DELETE": ApiKeyScope.TRADE}
    @extend_schema(responses=BidSerializer, summary="One bid: its owner, compliance officers and staff")
    def get(self, request, bid_id: str):
        sees_all = bool(user_roles(request.user) & OFFICER_ROLES)
        account_id = None if sees_all else _account_id(request)
        bid = selectors.bid_get(bid_id=bid_id, account_id=account_id)
        services.auction_step(auction_id=bid.auction_id)
        return Response(bid_view(selectors.bid_get(bid_id=bid_id, account_id=account_id)))

    @extend_schema(request=BidRaiseSerializer, responses=BidSerializer, summary="Raise a bid's price and/or quantity (owner)")
    def patch(self, request, bid_id: str):
        serializer = BidRaiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bid = services.bid_raise(account_id=_account_id(request), bid_id=bid_id, **serializer.validated_data)
        return Response(bid_view(bid))

    @extend_schema(request=None, responses=BidCancelledSerializer, summary="Cancel a bid before the cut-off (owner)")
    def delete(self, request, bid_id: str):
        bid = services.bid_cancel(account_id=_account_id(request), bid_id=bid_id)
        return Response({"bid_id": bid.id, "status": bid.status, "cancelled_at": bid.cancelled_at})
