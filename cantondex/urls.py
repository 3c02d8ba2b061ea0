from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kernel.errors import page_not_found

urlpatterns = [
    path("", TemplateView.as_view(template_name="landing.html"), name="landing"),
    path("admin/", admin.site.urls),
    path("compliance/", include("compliance.page_urls")),  # the live console page (HTML)
    path("v1/", include("accounts.urls")),
    path("v1/", include("trading.urls")),
    path("v1/", include("compliance.urls")),
    path("v1/", include("operations.urls")),
    path("v1/", include("auctions.urls")),
    path("status/", include("operations.pages")),
    path("auctions/", include("auctions.pages")),  # the auction pages (HTML)
    path("v1/schema", SpectacularAPIView.as_view(), name="schema"),
    path("v1/", include("streams.urls")),  # the WebSocket's AsyncAPI document
    path("v1/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Last: any other /v1 path is 404 NOT_FOUND in the error envelope, with DEBUG on too (its page is HTML).
    re_path(r"^v1/", page_not_found, name="rest_not_found"),
]

handler500 = "kernel.errors.server_error"
