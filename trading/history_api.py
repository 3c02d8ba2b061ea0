"""REST reads of the caller's own history: fills, settlements, deposits, withdrawals, each paged newest first
(kernel.pagination). Deposits and withdrawals share their path with the POST that creates them (trading.api)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiKeyScope
from accounts.permissions import IsTrader
from accounts.selectors import account_of_trader
from kernel.inputs import query_filters
from kernel.pagination import PAGE_PARAMETERS, page_response, page_serializer

from . import history
from .api import DepositCreateApi, WithdrawalCreateApi
from .read_serializers import (
    DepositQuerySerializer,
    FillQuerySerializer,
    FillSerializer,
    SettlementQuerySerializer,
    SettlementSerializer,
    WithdrawalQuerySerializer,
)
from .serializers import DepositSerializer, WithdrawalSerializer


def _account_id(request) -> str:
    return account_of_trader(user=request.user).id


class FillListApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(
        responses=page_serializer(FillSerializer),
        operation_id="trades_list",
        parameters=[FillQuerySerializer, *PAGE_PARAMETERS],
        summary="The caller's fills (trades, from the caller's side), newest first",
    )
    def get(self, request):
        account_id = _account_id(request)
        fills = history.fill_list(account_id=account_id, **query_filters(request, FillQuerySerializer))
        return page_response(request, fills, FillSerializer, list_name="trades", owner=account_id, time_field="executed_at")


class SettlementListApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(
        responses=page_serializer(SettlementSerializer),
        operation_id="settlements_list",
        parameters=[SettlementQuerySerializer, *PAGE_PARAMETERS],
        summary="The settlements of the caller's trades, newest first",
    )
    def get(self, request):
        account_id = _account_id(request)
        settlements = history.settlement_list(account_id=account_id, **query_filters(request, SettlementQuerySerializer))
        return page_response(request, settlements, SettlementSerializer, list_name="settlements", owner=account_id)


class DepositListCreateApi(DepositCreateApi):
    """GET: a trader's own deposits. POST (staff) credits one, as before."""

    def get_permissions(self):
        return [IsTrader()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(
        responses=page_serializer(DepositSerializer),
        operation_id="deposits_list",
        parameters=[DepositQuerySerializer, *PAGE_PARAMETERS],
        summary="The caller's deposits, newest first",
    )
    def get(self, request):
        account_id = _account_id(request)
        deposits = history.deposit_list(account_id=account_id, **query_filters(request, DepositQuerySerializer))
        return page_response(request, deposits, DepositSerializer, list_name="deposits", owner=account_id)


class WithdrawalListCreateApi(WithdrawalCreateApi):
    """GET: the caller's withdrawals with their outcome. POST requests one, as before."""

    api_key_scopes = {**WithdrawalCreateApi.api_key_scopes, "GET": ApiKeyScope.READ}

    @extend_schema(
        responses=page_serializer(WithdrawalSerializer),
        operation_id="withdrawals_list",
        parameters=[WithdrawalQuerySerializer, *PAGE_PARAMETERS],
        summary="The caller's withdrawals and their status, newest first",
    )
    def get(self, request):
        account_id = _account_id(request)
        withdrawals = history.withdrawal_list(account_id=account_id, **query_filters(request, WithdrawalQuerySerializer))
        return page_response(request, withdrawals, WithdrawalSerializer, list_name="withdrawals", owner=account_id)


class WithdrawalDetailApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(responses=WithdrawalSerializer, summary="One of the caller's withdrawals; 404 for anyone else's")
    def get(self, request, withdrawal_id: str):
        withdrawal = history.withdrawal_get(account_id=_account_id(request), withdrawal_id=withdrawal_id)
        return Response(WithdrawalSerializer(withdrawal).data)
