"""/healthz, /readyz and /metrics in process: who may scrape, what a scrape holds, readiness of a working process.
tests/e2e/test_metrics.py scrapes real daphne and breaks its database and channel layer."""

import asyncio

import pytest
from asgiref.sync import iscoroutinefunction, sync_to_async
from django.http import HttpResponse, JsonResponse
from django.test import AsyncClient, RequestFactory
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from operations.monitoring import ENDPOINTS, MonitoringEndpoints
from streams.hub import hubs_started

OUTSIDER = "203.0.113.5"  # TEST-NET-3: not loopback


def series_names(body: bytes) -> set[str]:
    return {family.name for family in text_string_to_metric_families(body.decode())}


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_healthz_is_answered_for_any_host_name(client, settings):
    settings.ALLOWED_HOSTS = ["dex.example.com"]
    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8001").status_code == 200, "load balancers call the address"
    assert client.get("/v1/system/status", HTTP_HOST="10.0.0.7:8001").status_code == 400, "the rest is still checked"


@pytest.mark.django_db(transaction=True)
def test_metrics_are_served_to_loopback_by_default(client):
    response = client.get("/metrics")  # the test client calls from 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    names = series_names(response.content)
    assert {"cantondex_ws_connections_open", "cantondex_job_runs", "django_http_requests_latency_seconds_by_view_method"} <= names


@pytest.mark.django_db(transaction=True)
def test_metrics_are_refused_elsewhere_in_the_error_envelope(client):
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER)
    assert response.status_code == 403
    assert response.json() == {
        "code": "PERMISSION_DENIED",
        "message": "Metrics are served to the monitoring addresses, or with the metrics token.",
        "details": {"reason": "metrics_not_allowed"},
    }


@pytest.mark.django_db(transaction=True)
def test_an_allowed_network_may_scrape(client, settings):
    settings.CDX_METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403, "the list replaces the default"


@pytest.mark.django_db(transaction=True)
def test_the_token_admits_a_caller_from_anywhere_and_a_wrong_one_does_not(client, settings):
    settings.CDX_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_AUTHORIZATION="Bearer guess").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDER).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_forged_forwarded_for_does_not_pass_for_loopback(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_a_refused_rest_call_counts_as_a_rate_limit_hit(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/min", "read": "1/min", "write": "1/min"}}
    hits = REGISTRY.get_sample_value("cantondex_rate_limit_hits_total", {"transport": "rest"}) or 0.0
    statuses = [client.get("/v1/system/status").status_code for _ in range(2)]
    assert statuses == [200, 429]
    assert REGISTRY.get_sample_value("cantondex_rate_limit_hits_total", {"transport": "rest"}) == hits + 1


@pytest.mark.django_db(transaction=True)
async def test_readyz_reports_every_check_ok_and_starts_the_hub(ws, settings):
    # `ws` stops this loop's hub and renews the channel layer afterwards. Earlier tests' loops may have left
    # hubs behind (each event loop has its own), so count this loop's.
    started_before = len(hubs_started())
    response = await AsyncClient().get("/readyz")
    assert response.status_code == 200, response.content
    checks = ["database", "channel_layer", *(["redis"] if settings.REDIS_URL else []), "hub", "relay"]
    assert response.json() == {"status": "ready", "checks": {name: {"state": "ok"} for name in checks}}
    assert len(hubs_started()) == started_before + 1


async def test_in_the_servers_sync_chain_requests_pass_straight_on_and_endpoints_run_on_the_loop(monkeypatch):
    # kernel/asgi.py runs the chain in the request's thread: an async-only middleware would add two hops to each request.
    loop = asyncio.get_running_loop()
    loops_seen = []

    async def probe(request):
        loops_seen.append(asyncio.get_running_loop())
        return JsonResponse({"probe": True})

    monkeypatch.setitem(ENDPOINTS, "/probe", probe)
    middleware = MonitoringEndpoints(lambda request: HttpResponse("the rest of the chain"))
    assert not iscoroutinefunction(middleware)
    passed_on = await sync_to_async(middleware)(RequestFactory().get("/v1/system/status"))
    assert passed_on.content == b"the rest of the chain"
    served = await sync_to_async(middleware)(RequestFactory().get("/probe"))
    assert served.status_code == 200 and loops_seen == [loop], "the endpoint ran on the server's loop"
