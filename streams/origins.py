from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain


class BrowserOriginValidator:
    """Checks the Origin of browser connections as Django's CSRF check does for forms, in every mode.

    An Origin passes when it is the server's own (the Host the browser connected to, which must be in
    ALLOWED_HOSTS, port included) or matches CSRF_TRUSTED_ORIGINS (scheme, host and port): another port
    of an allowed host is another site. Browsers always send Origin, so a missing one means a bot or SDK
    client, which cross-site attacks cannot use; Channels' own validator would refuse those.
    """

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        origin = _header(scope, b"origin")
        if origin is None or _allowed(origin.lower(), scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)


def _allowed(origin: str, scope) -> bool:
    return _own_origin(origin, scope) or _trusted_origin(origin)


def _own_origin(origin: str, scope) -> bool:
    host = (_header(scope, b"host") or "").lower()
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    # A wss handshake is TLS end to end, so only an https page is the same site. A ws one may come
    # through a proxy that ended TLS (its Host is the public one), so an https page can be the same site.
    schemes = ("https",) if scope.get("scheme") == "wss" else ("http", "https")
    return any(origin == f"{scheme}://{host}" for scheme in schemes)


def _trusted_origin(origin: str) -> bool:
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        trusted = trusted.lower()
        if origin == trusted:
            return True
        if "://*." in trusted:  # a wildcard subdomain, as Django's CSRF check reads it
            scheme, _, netloc = trusted.partition("://*")
            parsed = urlsplit(origin)
            if parsed.scheme == scheme and is_same_domain(parsed.netloc, netloc):
                return True
    return False


def _header(scope, name: bytes) -> str | None:
    for header_name, value in scope.get("headers", []):
        if header_name == name:
            return value.decode("latin1")
    return None
