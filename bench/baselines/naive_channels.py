"""Baseline (a): the usual Channels pattern, run under daphne like the project.

    daphne bench.baselines.naive_channels:application

Every subscriber's consumer joins a channel-layer group; the publisher's socket (/publish) does a
`group_send` per event, so each subscriber's consumer wakes up for it and JSON-encodes it again
with `send_json`. The in-process channel layer, as a single-process deployment would use.
"""

import os

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        SECRET_KEY=os.environ["BENCH_JWT_SECRET"],
        INSTALLED_APPS=["channels"],
        # Room for a burst of events per subscriber (the default of 100 drops the end of a burst).
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 10_000}}},
    )
    django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from bench.baselines.common import MARKET_DATA, encode, reply, subscription_items, user_of
from kernel.json import loads


def market_group(symbol: str) -> str:
    return "md." + "".join(c if c.isalnum() else "-" for c in symbol)


class SubscriberConsumer(AsyncJsonWebsocketConsumer):
    user_id = None

    @classmethod
    async def decode_json(cls, text_data):
        return loads(text_data)

    @classmethod
    async def encode_json(cls, content):
        return encode(content)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "auth":
            self.user_id = user_of(content.get("token"))
            status = "authenticated" if self.user_id is not None else "failed"
            await self.send_json(reply("auth_response", status=status))
        elif kind == "subscribe" and self.user_id is not None:
            for item in subscription_items(content):
                channel = item.get("channel")
                if channel == MARKET_DATA:
                    for symbol in item.get("symbols", []):
                        await self.channel_layer.group_add(market_group(symbol), self.channel_name)
                else:
                    await self.channel_layer.group_add(f"{channel}.{self.user_id}", self.channel_name)
                await self.send_json(reply("subscription_response", channel=channel, status="subscribed"))
        elif kind == "ping":
            await self.send_json(reply("pong"))

    async def market_event(self, message):
        await self.send_json(message["event"])


class PublisherConsumer(AsyncJsonWebsocketConsumer):
    @classmethod
    async def decode_json(cls, text_data):
        return loads(text_data)

    async def receive_json(self, content, **kwargs):
        await self.channel_layer.group_send(market_group(content["symbol"]), {"type": "market.event", "event": content})


application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [path("publish", PublisherConsumer.as_asgi()), path("v1/ws", SubscriberConsumer.as_asgi())]
        )
    }
)
