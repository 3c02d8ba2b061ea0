"""Public market data over REST, no login needed (anonymous callers are throttled per IP like every anonymous
call, kernel.throttles): a market's book, its recent trades, its ticker."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.inputs import query_filters
from kernel.pagination import PAGE_PARAMETERS, page_response, page_serializer

from . import market_data
from .read_serializers import OrderbookQuerySerializer, OrderbookSerializer, PublicTradeSerializer, TickerSerializer


class OrderbookApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=OrderbookSerializer,
        parameters=[OrderbookQuerySerializer],
        summary="A market's book: price levels with their total quantity, best first (public)",
    )
    def get(self, request, symbol: str):
        book = market_data.orderbook_get(symbol=symbol, **query_filters(request, OrderbookQuerySerializer))
        return Response(OrderbookSerializer(book).data)


class PublicTradeListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=page_serializer(PublicTradeSerializer),
        operation_id="markets_trades_list",
        parameters=PAGE_PARAMETERS,
        summary="A market's trades, newest first, without who traded (public)",
    )
    def get(self, request, symbol: str):
        trades = market_data.public_trade_list(symbol=symbol)
        return page_response(request, trades, PublicTradeSerializer, list_name="market_trades", owner=symbol, time_field="executed_at")


class TickerApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=TickerSerializer, summary="A market's last price, best bid and ask, and 24-hour statistics (public)")
    def get(self, request, symbol: str):
        return Response(TickerSerializer(market_data.ticker_get(symbol=symbol)).data)
