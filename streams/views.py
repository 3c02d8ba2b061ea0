"""The AsyncAPI document of the WebSocket, as JSON and as YAML (public, like /v1/schema)."""

import yaml
from django.http import HttpRequest, HttpResponse, JsonResponse

from .asyncapi import document


def asyncapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document(), json_dumps_params={"indent": 2})


def asyncapi_yaml(request: HttpRequest) -> HttpResponse:
    text = yaml.safe_dump(document(), sort_keys=False, allow_unicode=True)
    return HttpResponse(text, content_type="application/yaml; charset=utf-8")
