from django.urls import path

from .consumer import GatewayConsumer

websocket_urlpatterns = [
    path("v1/ws", GatewayConsumer.as_asgi()),
    path("ws", GatewayConsumer.as_asgi()),
]
