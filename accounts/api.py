"""The trader's API keys, managed with a password's JWT or session only (a key cannot make keys)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView

from . import selectors, services
from .lockout import lockout_error
from .permissions import IsTrader
from .serializers import ApiKeyCreatedSerializer, ApiKeyCreateSerializer, ApiKeySerializer


class ApiKeyListCreateApi(APIView):
    permission_classes = [IsTrader]
    api_key_scopes: dict[str, str] = {}  # closed to API keys

    @extend_schema(responses=ApiKeySerializer(many=True), summary="The caller's API keys, revoked ones included")
    def get(self, request):
        return Response(ApiKeySerializer(selectors.api_key_list(user=request.user), many=True).data)

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer},
        summary="Create an API key for a bot; the answer's `key` is shown only this once",
    )
    def post(self, request):
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, key = services.api_key_create(user=request.user, **serializer.validated_data)
        return Response({**ApiKeySerializer(api_key).data, "key": key}, status=status.HTTP_201_CREATED)


class ApiKeyRevokeApi(APIView):
    permission_classes = [IsTrader]
    api_key_scopes: dict[str, str] = {}  # closed to API keys

    @extend_schema(request=None, responses=ApiKeySerializer, summary="Revoke one of the caller's API keys at once")
    def delete(self, request, api_key_id: str):
        api_key = selectors.api_key_of_user(user=request.user, api_key_id=api_key_id)
        return Response(ApiKeySerializer(services.api_key_revoke(api_key=api_key)).data)


class TokenObtainApi(TokenObtainPairView):
    """simplejwt's token pair; a login django-axes refuses (too many failures) is 429 TOO_MANY_ATTEMPTS."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise lockout_error() from None
            raise
