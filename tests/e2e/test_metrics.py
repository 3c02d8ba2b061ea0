"""Scrapes of real daphne: the gateway's series move with what clients do, and /readyz tells a working process
from one whose database or channel layer is gone."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.live import SYMBOL, authenticated, http, post_order
from tests.e2e.server import free_port
from tests.support.ws import WsClient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Small limits, so one test reaches them: two anonymous REST calls a minute, five WebSocket messages a second.
LIMITS = {"CDX_RATE_ANON": "2/min", "CDX_WS_RATE_LIMIT_PER_S": "5"}
SCRAPE_TIMEOUT_S = 20.0
SETTLEMENT = "trading.settlement"  # a job that runs every second

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    status, _, body = http(url, headers=headers)
    return status, body


def scrape_now(base_url: str) -> Samples:
    status, body = get(f"{base_url}/metrics")
    assert status == 200, body
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


async def scrape(base_url: str) -> Samples:
    return await asyncio.to_thread(scrape_now, base_url)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str) -> float:
    """The sum over every label set of `name`."""
    return sum(v for (sample_name, _), v in samples.items() if sample_name == name)


async def scrape_until(base_url: str, condition, what: str) -> Samples:
    """Scrapes until `condition(samples)` holds (the server counts some things after it answered)."""
    deadline = asyncio.get_running_loop().time() + SCRAPE_TIMEOUT_S
    while True:
        samples = await scrape(base_url)
        if condition(samples):
            return samples
        assert asyncio.get_running_loop().time() < deadline, f"{what} did not happen within {SCRAPE_TIMEOUT_S}s"
        await asyncio.sleep(0.05)  # polling the server's own counters: there is nothing else to wait on


async def test_each_series_moves_with_what_clients_do(daphne_servers, make_trader):
    server = daphne_servers.get(env=LIMITS)
    trader = await make_trader()
    before = await scrape(server.base_url)

    stranger = await WsClient.open(server.ws_url)
    reply = await stranger.request({"type": "auth", "token": "not-a-token"})
    assert reply["status"] == "failed", reply
    await stranger.close()

    client = await authenticated(server.ws_url, trader)
    reply = await client.request({"type": "subscribe", "channel": "orders", "account_id": trader.account.id})
    assert reply["status"] == "subscribed", reply
    await sync_to_async(post_order)(server.base_url, trader, symbol=SYMBOL, side="buy", quantity="1", price="1.00")
    await client.wait_for("order_created")
    for _ in range(10):  # twice the per-second limit, at once
        await client.send({"type": "ping"})
    await client.wait_for("error", code="RATE_LIMITED")
    statuses = [(await asyncio.to_thread(get, f"{server.base_url}/v1/system/status"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]

    during = await scrape_until(
        server.base_url,
        lambda s: value(s, "cantondex_job_runs_total", job_name=SETTLEMENT) > value(before, "cantondex_job_runs_total", job_name=SETTLEMENT),
        "a settlement job run",
    )
    moved = {
        "cantondex_ws_connections_opened_total": value(during, "cantondex_ws_connections_opened_total")
        - value(before, "cantondex_ws_connections_opened_total"),
        "cantondex_ws_auth_failures_total": value(during, "cantondex_ws_auth_failures_total", reason="invalid_credentials")
        - value(before, "cantondex_ws_auth_failures_total", reason="invalid_credentials"),
        "cantondex_order_place_seconds_count": value(during, "cantondex_order_place_seconds_count")
        - value(before, "cantondex_order_place_seconds_count"),
        "cantondex_matching_seconds_count": value(during, "cantondex_matching_seconds_count")
        - value(before, "cantondex_matching_seconds_count"),
        "rest rate limit hits": value(during, "cantondex_rate_limit_hits_total", transport="rest")
        - value(before, "cantondex_rate_limit_hits_total", transport="rest"),
    }
    assert moved == {
        "cantondex_ws_connections_opened_total": 2,
        "cantondex_ws_auth_failures_total": 1,
        "cantondex_order_place_seconds_count": 1,
        "cantondex_matching_seconds_count": 1,
        "rest rate limit hits": 1,
    }
    assert value(during, "cantondex_rate_limit_hits_total", transport="websocket") >= 1 + value(
        before, "cantondex_rate_limit_hits_total", transport="websocket"
    )
    assert value(during, "cantondex_ws_connections_open") == 1, "the stranger's socket is closed, the trader's open"
    assert value(during, "cantondex_ws_subscriptions", channel="orders") == 1
    # order_created and order_updated (open) reached the one subscriber.
    assert value(during, "cantondex_ws_deliveries_total", channel="orders") - value(before, "cantondex_ws_deliveries_total", channel="orders") >= 2
    assert value(during, "cantondex_relay_lag_seconds_count") >= value(before, "cantondex_relay_lag_seconds_count") + 2
    assert value(during, "cantondex_event_log_newest_age_seconds") >= 0  # NaN (an empty log) fails this
    assert value(during, "cantondex_event_log_oldest_unrelayed_age_seconds") >= 0
    assert value(during, "cantondex_ws_send_queue_bytes") == 0, "a client that reads leaves nothing waiting"
    assert value(during, "cantondex_job_duration_seconds_count", job_name=SETTLEMENT) > value(
        before, "cantondex_job_duration_seconds_count", job_name=SETTLEMENT
    )
    assert total(during, "django_http_requests_latency_seconds_by_view_method_count") > total(
        before, "django_http_requests_latency_seconds_by_view_method_count"
    )
    assert value(during, "django_http_requests_latency_seconds_by_view_method_count", view="order_list_create", method="POST") == 1

    await client.close()
    after = await scrape_until(
        server.base_url, lambda s: value(s, "cantondex_ws_connections_open") == 0, "the trader's socket counted closed"
    )
    assert value(after, "cantondex_ws_connections_closed_total", code="1000") >= value(
        before, "cantondex_ws_connections_closed_total", code="1000"
    ) + 2, "both clients closed normally"
    assert value(after, "cantondex_ws_subscriptions", channel="orders") == 0


async def test_metrics_refuse_a_caller_outside_the_allowed_networks(daphne_servers):
    server = daphne_servers.get(env={"CDX_METRICS_ALLOWED_IPS": "192.0.2.0/24", "CDX_METRICS_TOKEN": "scrape-me"})
    status, body = await asyncio.to_thread(get, f"{server.base_url}/metrics")
    assert status == 403
    assert json.loads(body)["details"] == {"reason": "metrics_not_allowed"}
    status, body = await asyncio.to_thread(get, f"{server.base_url}/metrics", {"Authorization": "Bearer scrape-me"})
    assert status == 200 and b"cantondex_ws_connections_open" in body


@pytest.fixture(params=["in_process", "redis"])
def server(request):
    return request.getfixturevalue("daphne" if request.param == "in_process" else "daphne_redis")


async def test_a_working_server_is_live_and_ready(server):
    status, body = await asyncio.to_thread(get, f"{server.base_url}/healthz")
    assert (status, json.loads(body)) == (200, {"status": "alive"})
    status, body = await asyncio.to_thread(get, f"{server.base_url}/readyz")
    assert status == 200, body
    checks = ["database", "channel_layer", *(["redis"] if "REDIS_URL" in server.env else []), "hub", "relay"]
    assert json.loads(body) == {"status": "ready", "checks": {name: {"state": "ok"} for name in checks}}


async def test_without_its_database_a_server_is_live_but_not_ready(daphne_servers):
    nowhere = f"postgres://cdx@127.0.0.1:{free_port()}/cdx"  # nothing listens there
    # Its relay cannot finish a pass, so a graceful stop would wait out the whole drain timeout (10 s).
    server = daphne_servers.get(env={"DATABASE_URL": nowhere, "CDX_DRAIN_TIMEOUT_S": "1"}, name="no-database")
    status, _ = await asyncio.to_thread(get, f"{server.base_url}/healthz")
    assert status == 200
    status, body = await asyncio.to_thread(get, f"{server.base_url}/readyz")
    assert status == 503, body
    answer = json.loads(body)
    assert answer["code"] == "SERVICE_UNAVAILABLE" and answer["details"]["reason"] == "not_ready"
    checks = answer["details"]["checks"]
    assert checks["database"]["state"] == "failing" and checks["channel_layer"] == {"state": "ok"}
    assert answer["message"] == f"Not ready: {', '.join(sorted(n for n, c in checks.items() if c['state'] != 'ok'))} failing."


async def test_without_its_channel_layer_a_server_is_live_but_not_ready(daphne_servers):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = daphne_servers.get(redis_url=nowhere)
    status, _ = await asyncio.to_thread(get, f"{server.base_url}/healthz")
    assert status == 200
    status, body = await asyncio.to_thread(get, f"{server.base_url}/readyz")
    assert status == 503, body
    checks = json.loads(body)["details"]["checks"]
    assert checks["database"] == {"state": "ok"}
    assert {name: checks[name]["state"] for name in ("channel_layer", "redis", "hub", "relay")} == dict.fromkeys(
        ("channel_layer", "redis", "hub", "relay"), "failing"
    )
