from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKeyScope
from accounts.permissions import IsStaffRole, IsTrader
from accounts.selectors import account_of_trader
from kernel.inputs import query_filters
from kernel.pagination import PAGE_PARAMETERS, page_response, page_serializer

from . import selectors, services
from .models import Deposit
from .read_serializers import OrderQuerySerializer
from .serializers import (
    AccountMeSerializer,
    CancelAllAfterSerializer,
    CancelAllAfterStateSerializer,
    DepositCreateSerializer,
    DepositSerializer,
    MarketSerializer,
    OrderCancelledSerializer,
    OrderCreateSerializer,
    OrdersCancelledSerializer,
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
    api_key_scopes = {"GET": ApiKeyScope.READ, "POST": ApiKeyScope.TRADE, "DELETE": ApiKeyScope.TRADE}

    @extend_schema(
        responses=page_serializer(OrderSerializer),
        operation_id="orders_list",
        summary="The caller's orders, newest first",
        parameters=[OrderQuerySerializer, *PAGE_PARAMETERS],
    )
    def get(self, request):
        account_id = _account_id(request)
        orders = selectors.order_list(account_id=account_id, **query_filters(request, OrderQuerySerializer))
        return page_response(request, orders, OrderSerializer, list_name="orders", owner=account_id)

    @extend_schema(
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer},
        summary="Place an order (200 and the original order for a retry with a used client_order_id)",
    )
    def post(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.order_enter(account_id=_account_id(request), **serializer.validated_data)
        return Response(OrderSerializer(entry.order).data, status=status.HTTP_201_CREATED if entry.created else status.HTTP_200_OK)

    @extend_schema(
        request=None,
        responses=OrdersCancelledSerializer,
        summary="Cancel all the caller's open orders, or one market's",
        operation_id="orders_cancel_all",
        parameters=[OpenApiParameter("symbol", str, description="Only this market's orders")],
    )
    def delete(self, request):
        cancelled = services.order_cancel_all(account_id=_account_id(request), symbol=request.query_params.get("symbol"))
        return Response(OrdersCancelledSerializer({"cancelled": cancelled, "count": len(cancelled)}).data)


class OrderApi(APIView):
    """One of the caller's orders, by its order_id, or by its client_order_id under /v1/orders/by-client-id/."""

    permission_classes = [IsTrader]
    api_key_scopes = {"GET": ApiKeyScope.READ, "DELETE": ApiKeyScope.TRADE}

    @extend_schema(responses=OrderSerializer, summary="One of the caller's orders (404 for anyone else's)")
    def get(self, request, **order_ref: str):
        return Response(OrderSerializer(selectors.order_of_account(account_id=_account_id(request), **order_ref)).data)

    @extend_schema(request=None, responses=OrderCancelledSerializer, summary="Cancel one of the caller's orders")
    def delete(self, request, **order_ref: str):
        order = services.order_cancel(account_id=_account_id(request), **order_ref)
        return Response(OrderCancelledSerializer(order).data)


class CancelAllAfterApi(APIView):
    permission_classes = [IsTrader]
    api_key_scopes = {"POST": ApiKeyScope.TRADE}

    @extend_schema(
        request=CancelAllAfterSerializer,
        responses=CancelAllAfterStateSerializer,
        summary="Dead-man's switch: cancel all open orders unless called again within timeout_s (0: off)",
    )
    def post(self, request):
        serializer = CancelAllAfterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        state = services.cancel_all_after_set(account_id=_account_id(request), **serializer.validated_data)
        return Response(CancelAllAfterStateSerializer(state).data)


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
