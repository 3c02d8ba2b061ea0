from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from trading.selectors import balance_list

from .permissions import IsTrader
from .selectors import account_of_trader
from .serializers import AccountMeSerializer


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
                "balances": balance_list(account_id=account.id),
            }
        ).data
        return Response(data)
