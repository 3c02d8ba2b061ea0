from django.urls import path
from rest_framework_simplejwt.views import TokenBlacklistView, TokenRefreshView

from .api import ApiKeyListCreateApi, ApiKeyRevokeApi, TokenObtainApi

urlpatterns = [
    path("auth/token", TokenObtainApi.as_view(), name="token_obtain"),
    path("auth/token/refresh", TokenRefreshView.as_view(), name="token_refresh"),
    path("auth/logout", TokenBlacklistView.as_view(), name="token_logout"),
    path("api-keys", ApiKeyListCreateApi.as_view(), name="api_key_list_create"),
    path("api-keys/<str:api_key_id>", ApiKeyRevokeApi.as_view(), name="api_key_revoke"),
]
