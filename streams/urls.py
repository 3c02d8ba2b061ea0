from django.urls import path

from . import views

urlpatterns = [
    path("asyncapi.json", views.asyncapi_json, name="asyncapi-json"),
    path("asyncapi.yaml", views.asyncapi_yaml, name="asyncapi-yaml"),
]
