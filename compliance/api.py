from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsComplianceOfficer

from .serializers import KycSetSerializer, KycStateSerializer
from .services import account_kyc_set


class AccountKycApi(APIView):
    permission_classes = [IsComplianceOfficer]

    @extend_schema(
        request=KycSetSerializer,
        responses=KycStateSerializer,
        summary="Set an account's KYC status and tier (emits kyc_status_changed)",
    )
    def post(self, request, account_id: str):
        serializer = KycSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = account_kyc_set(
            account_id=account_id,
            status=serializer.validated_data["status"],
            tier=serializer.validated_data["tier"],
            reason=serializer.validated_data["reason"],
            actor=request.user,
        )
        return Response(KycStateSerializer(account).data)
