from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKeyScope
from accounts.permissions import IsStaffRole, IsTrader
from accounts.selectors import account_of_trader
from kernel.inputs import query_choice

from . import selectors, services
from .models import Deposit, OrderStatus
from .serializers import (
    AccountMeSerializer,
    DepositCreateSerializer,
    DepositSerializer,
    MarketSerializer,
    OrderCancelledSerializer,
    OrderCreateSerializer,
    OrderSerializer,
    WithdrawalCreateSerializer,
    WithdrawalSerializer,
)


def _account_id(request) -> str:
    return account_of_trader(user=request.user).id


class AccountMeApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(responses=AccountMeSerializer, summary="The caller's trading account and balances")
    def get(self, request):
        account = account_of_trader(user=request.user)
        data = AccountMeSerializer(
            {
                "id": account.id,
                "user": request.user,
                "kyc_status": account.kyc_status,
                "kyc_tier": account.kyc_tier,
                "balances": selectors.balance_list(account_id=account.id),
            }
        ).data
        return Response(data)


class MarketListApi(APIView):
    @extend_schema(responses=MarketSerializer(many=True), summary="The markets open for trading")
    def get(self, request):
        return Response(MarketSerializer(selectors.market_list(), many=True).data)


class OrderListCreateApi(APIView):
    permission_classes = [IsTrader]
    api_key_scopes = {"GET": ApiKeyScope.READ, "POST": ApiKeyScope.TRADE}

    @extend_schema(
        responses=OrderSerializer(many=True),
        summary="The caller's orders, newest first",
        parameters=[
            OpenApiParameter("symbol", str),
            OpenApiParameter("status", str, enum=OrderStatus.values),
            OpenApiParameter("limit", int, description="1 to 1000, default 100"),
        ],
    )
    def get(self, request):
        try:
            limit = min(max(int(request.query_params.get("limit", 100)), 1), 1000)
        except ValueError:
            raise ValidationError({"limit": "Must be an integer."}) from None
        orders = selectors.order_list(
            account_id=_account_id(request),
            symbol=request.query_params.get("symbol"),
            status=query_choice(request, "status", OrderStatus.values),
            limit=limit,
        )
        return Response(OrderSerializer(orders, many=True).data)

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer}, summary="Place an order")
    def post(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_place(account_id=_account_id(request), **serializer.validated_data)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderCancelApi(APIView):
    permission_classes = [IsTrader]
    api_key_scopes = {"DELETE": ApiKeyScope.TRADE}

    @extend_schema(request=None, responses=OrderCancelledSerializer, summary="Cancel one of the caller's orders")
    def delete(self, request, order_id: str):
        order = services.order_cancel(order_id=order_id, account_id=_account_id(request))
        return Response(OrderCancelledSerializer(order).data)


class WithdrawalCreateApi(APIView):
    permission_classes = [IsTrader]
    api_key_scopes = {"POST": ApiKeyScope.WITHDRAW}

    @extend_schema(
        request=WithdrawalCreateSerializer,
        responses={201: WithdrawalSerializer},
        summary="Withdraw funds: held now, sent by the withdrawals job",
    )
    def post(self, request):
        serializer = WithdrawalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_request(account_id=_account_id(request), **serializer.validated_data)
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class DepositCreateApi(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(request=DepositCreateSerializer, responses={201: DepositSerializer}, summary="Credit a deposit (staff)")
    def post(self, request):
        serializer = DepositCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deposit_id = services.deposit_create(**serializer.validated_data)
        return Response(DepositSerializer(Deposit.objects.get(pk=deposit_id)).data, status=status.HTTP_201_CREATED)
