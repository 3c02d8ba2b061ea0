"""REST reads of the caller's own history: fills, settlements, deposits, withdrawals, each paged newest first
(kernel.pagination). Deposits and withdrawals share their path with the POST that creates them (trading.api)."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts.models import ApiKeyScope
from accounts.permissions import IsStaffRole, IsTrader
from accounts.selectors import account_of_trader
from kernel.inputs import query_filters
from kernel.pagination import PAGE_PARAMETERS, Pageable, page_response, page_serializer

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


class OwnListApi(APIView):
    """GET: a page of the caller's rows, newest first. A subclass names, as class arguments, the list (its
    cursors and operation id), the selector (`select(account_id=..., **filters)`), the query filters, the row
    serializer and the summary; the schema follows from them."""

    permission_classes = [IsTrader]
    list_name: str
    select: Callable[..., Pageable]
    filters: type[Serializer]
    rows: type[Serializer]
    time_field: str

    def __init_subclass__(cls, *, list_name, select, filters, rows, summary, time_field="created_at", **kwargs):
        super().__init_subclass__(**kwargs)
        cls.list_name, cls.select, cls.filters, cls.rows, cls.time_field = list_name, staticmethod(select), filters, rows, time_field
        schema = extend_schema(
            operation_id=f"{list_name}_list", responses=page_serializer(rows), parameters=[filters, *PAGE_PARAMETERS], summary=summary
        )
        extend_schema_view(get=schema)(cls)

    def get(self, request):
        account_id = account_of_trader(user=request.user).id
        selected = self.select(account_id=account_id, **query_filters(request, self.filters))
        return page_response(request, selected, self.rows, list_name=self.list_name, owner=account_id, time_field=self.time_field)


class FillListApi(
    OwnListApi, list_name="trades", select=history.fill_list, filters=FillQuerySerializer, rows=FillSerializer, time_field="executed_at",
    summary="The caller's fills (trades, from the caller's side), newest first",
):
    """Each fill with the caller's side and order, its fee, maker or taker, and its settlement status."""


class SettlementListApi(
    OwnListApi, list_name="settlements", select=history.settlement_list, filters=SettlementQuerySerializer, rows=SettlementSerializer,
    summary="The settlements of the caller's trades, newest first",
):
    """Delivery versus payment of each trade the caller took part in: pending, confirmed or failed."""


class DepositListCreateApi(
    OwnListApi, DepositCreateApi, list_name="deposits", select=history.deposit_list, filters=DepositQuerySerializer, rows=DepositSerializer,
    summary="The caller's deposits, newest first",
):
    """GET: a trader's own deposits. POST: staff credit one."""

    def get_permissions(self):
        return [IsTrader()] if self.request.method == "GET" else [IsStaffRole()]


class WithdrawalListCreateApi(
    OwnListApi, WithdrawalCreateApi, list_name="withdrawals", select=history.withdrawal_list, filters=WithdrawalQuerySerializer,
    rows=WithdrawalSerializer, summary="The caller's withdrawals and their status, newest first",
):
    """GET: the caller's withdrawals with their outcome. POST requests one."""

    api_key_scopes = {**WithdrawalCreateApi.api_key_scopes, "GET": ApiKeyScope.READ}


class WithdrawalDetailApi(APIView):
    permission_classes = [IsTrader]

    @extend_schema(responses=WithdrawalSerializer, summary="One of the caller's withdrawals; 404 for anyone else's")
    def get(self, request, withdrawal_id: str):
        withdrawal = history.withdrawal_get(account_id=account_of_trader(user=request.user).id, withdrawal_id=withdrawal_id)
        return Response(WithdrawalSerializer(withdrawal).data)
