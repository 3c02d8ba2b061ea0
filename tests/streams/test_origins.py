"""Browser Origins: the server's own (scheme, host and port) or a trusted one, in debug mode as in production."""

import pytest
from channels.testing import WebsocketCommunicator

from cantondex.asgi import application


async def handshake(origin: bytes, host: bytes = b"localhost:8000", scheme: str = "ws") -> bool:
    communicator = WebsocketCommunicator(application, "/v1/ws", headers=[(b"origin", origin), (b"host", host)])
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin, host, scheme, accepted",
    [
        (b"http://localhost:8000", b"localhost:8000", "ws", True),
        (b"http://LOCALHOST:8000", b"localhost:8000", "ws", True),
        (b"http://localhost:3000", b"localhost:8000", "ws", False),  # another port of an allowed host
        (b"http://localhost", b"localhost:8000", "ws", False),
        (b"http://localhost:8000", b"localhost", "ws", False),
        (b"https://localhost", b"localhost", "ws", True),  # TLS ended at a proxy in front
        (b"https://localhost", b"localhost", "wss", True),
        (b"http://localhost", b"localhost", "wss", False),  # a plain-HTTP page on a TLS socket
        (b"http://evil.example:8000", b"evil.example:8000", "ws", False),  # a Host not in ALLOWED_HOSTS
        (b"null", b"localhost:8000", "ws", False),
    ],
)
async def test_only_the_servers_own_origin_passes(settings, origin, host, scheme, accepted):
    settings.DEBUG = True
    assert await handshake(origin, host, scheme) is accepted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin, accepted",
    [
        (b"https://app.example.com", True),
        (b"https://app.example.com:8443", False),
        (b"http://app.example.com", False),
        (b"https://desk.trading.example", True),
        (b"https://trading.example", True),  # as Django reads "*.": the domain and its subdomains
        (b"https://desk.trading.example:444", False),
    ],
)
async def test_trusted_origins_match_scheme_host_and_port(settings, origin, accepted):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com", "https://*.trading.example"]
    assert await handshake(origin, b"api.example.com") is accepted
