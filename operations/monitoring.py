"""/healthz, /readyz and /metrics, answered ahead of every other middleware.

They are for load balancers and Prometheus, which call a server by its address: so no host check
(ALLOWED_HOSTS), no redirect to HTTPS, no session, and they stay out of the request metrics. /healthz
says the process answers (nothing else is touched); /readyz runs the readiness checks
(operations/readiness.py), 503 when one fails. /metrics is this process's Prometheus exposition, for
the addresses in CDX_METRICS_ALLOWED_IPS or a caller with the bearer token CDX_METRICS_TOKEN.
"""

import functools
import hmac
import ipaddress
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kernel.errors import envelope
from kernel.throttles import client_ip
from streams.monitoring import scrape_prepare

from .readiness import readiness_checks


def metrics_access_allowed(request: HttpRequest) -> bool:
    """The caller's address is in CDX_METRICS_ALLOWED_IPS, or it sends `Authorization: Bearer <CDX_METRICS_TOKEN>`."""
    token = settings.CDX_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    ip = client_ip(request)
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in network for network in _networks(tuple(settings.CDX_METRICS_ALLOWED_IPS)))


@functools.cache
def _networks(cidrs: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Parsed once per list (settings checked them at start-up), not per scrape; a test's list is parsed anew."""
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]


async def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "alive"})


async def readyz(request: HttpRequest) -> HttpResponse:
    checks = await readiness_checks()
    if all(check["state"] == "ok" for check in checks.values()):
        return JsonResponse({"status": "ready", "checks": checks})
    failing = sorted(name for name, check in checks.items() if check["state"] != "ok")
    body = envelope("SERVICE_UNAVAILABLE", f"Not ready: {', '.join(failing)} failing.", {"reason": "not_ready", "checks": checks})
    return JsonResponse(body, status=503)


async def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_access_allowed(request):
        message = "Metrics are served to the monitoring addresses, or with the metrics token."
        return JsonResponse(envelope("PERMISSION_DENIED", message, {"reason": "metrics_not_allowed"}), status=403)
    await scrape_prepare()  # on the event loop, where the hub's sockets are
    # Rendering every series takes milliseconds: off the event loop, so no socket waits for it.
    exposition = await sync_to_async(generate_latest, thread_sensitive=False)()
    return HttpResponse(exposition, content_type=CONTENT_TYPE_LATEST)


ENDPOINTS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class MonitoringEndpoints:
    """The first middleware: serves ENDPOINTS itself and hands every other request on.

    Sync and async, as the chain is: the server's chain is sync (kernel/asgi.py), and an async-only middleware
    there would cost every request two more hops (thread, event loop, thread). The endpoints still run on the
    server's event loop, where the hubs live: async_to_sync from the request's thread goes back to it."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        endpoint = ENDPOINTS.get(request.path_info)
        if self.is_async:
            return endpoint(request) if endpoint is not None else self.get_response(request)  # a coroutine either way
        if endpoint is None:
            return self.get_response(request)
        return async_to_sync(endpoint)(request)
