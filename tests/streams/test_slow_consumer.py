"""The slow-consumer bound: a socket gets at most a window of unacknowledged bytes, then waits, then closes."""

from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from prometheus_client import REGISTRY

from operations.events import MaintenanceNotice
from streams.flow import SendWindow, TransportAcks, utf8_size
from streams.hub import Hub, StreamState, Subscription
from streams.protocol import CloseCode
from streams.publishing import publish, stream_sequence
from streams.registry import StreamRef
from tests.streams.wire import assert_error

pytestmark = pytest.mark.django_db(transaction=True)


class Socket:
    def __init__(self):
        self.written: list[str] = []

    async def write(self, text: str) -> None:
        self.written.append(text)

    def pings(self) -> int:
        return sum('"type":"ping"' in text for text in self.written)

    def data(self) -> list[str]:
        return [text for text in self.written if '"type":"ping"' not in text]


async def send(window: SendWindow, text: str) -> bool:
    return await window.send(text, utf8_size(text))


async def test_text_beyond_the_window_waits_for_a_pong_and_keeps_its_order():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=60)
    for text in ["aaaa", "bbbb", "cccc", "dddd"]:
        assert await send(window, text)
    # half the window in flight asks early; the third would pass the window, so it and the fourth wait
    assert socket.data() == ["aaaa", "bbbb"] and socket.pings() == 1
    await window.answered()  # the client has read up to that ping
    assert socket.data() == ["aaaa", "bbbb", "cccc", "dddd"]


async def test_one_message_larger_than_the_window_still_goes_when_nothing_is_in_flight():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=60)
    assert await send(window, "x" * 50)
    assert socket.data() == ["x" * 50]


async def test_more_than_the_limit_waiting_overflows_and_later_text_goes_straight_through():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=12, patience_s=60)
    assert await send(window, "a" * 8)
    assert await send(window, "b" * 8)  # waits
    assert not await send(window, "c" * 8)  # 16 waiting > 12: the caller closes
    assert await send(window, "error")  # the error message and what follows are written at once
    assert socket.data() == ["a" * 8, "error"]


async def test_waiting_longer_than_the_patience_without_a_pong_overflows():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=0.0)
    assert await send(window, "a" * 8)
    assert await send(window, "b" * 8)  # begins to wait
    assert not await send(window, "c")  # still waiting, no pong since: too slow


async def test_a_client_answering_only_protocol_pings_has_its_window_acknowledged_by_time():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=600)
    acks = TransportAcks(window, ping_interval_s=1, ping_timeout_s=2)  # read 6 s after a silent mark
    assert await send(window, "a" * 8)
    await acks.tick(now=100.0, last_heard=50.0)  # marks the 8 bytes
    assert await send(window, "b" * 8)  # waits: nothing acknowledged
    await acks.tick(now=105.0, last_heard=50.0)  # 5 s: daphne's pong may still be due
    assert socket.data() == ["a" * 8]
    await acks.tick(now=106.0, last_heard=50.0)  # the socket is still open 6 s later: the 8 bytes were read
    assert socket.data() == ["a" * 8, "b" * 8]


async def test_pings_acknowledged_by_time_are_counted_not_kept_and_a_late_pong_pairs_in_order():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=600)
    acks = TransportAcks(window, ping_interval_s=1, ping_timeout_s=2)
    for now in (100.0, 110.0):  # a heartbeat ping each time, never answered
        assert await send(window, "a" * 4)
        await acks.tick(now=now, last_heard=50.0)
        await window.probe()
    assert (len(window.probes), window.covered_probes) == (1, 1)  # the first ping's bytes were read by 106
    assert await send(window, "b" * 8)  # waits: the bytes before the second ping are not known to be read
    await window.answered()  # the client's first pong answers the first ping: nothing new
    assert socket.data() == ["a" * 4, "a" * 4]
    await window.answered()  # the second ping
    assert socket.data() == ["a" * 4, "a" * 4, "b" * 8]


async def test_a_client_frame_after_a_mark_voids_it():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=600)
    acks = TransportAcks(window, ping_interval_s=1, ping_timeout_s=2)
    assert await send(window, "a" * 8)
    await acks.tick(now=100.0, last_heard=50.0)
    assert await send(window, "b" * 8)
    # The client spoke at 101: daphne's idle clock restarted, so no protocol ping need have followed the mark.
    await acks.tick(now=110.0, last_heard=101.0)
    assert socket.data() == ["a" * 8]
    await acks.tick(now=116.0, last_heard=101.0)  # the mark of 110, silent since: read by now
    assert socket.data() == ["a" * 8, "b" * 8]


def test_utf8_size_counts_bytes():
    assert utf8_size("abc") == 3
    assert utf8_size("é€𝄞") == 2 + 3 + 4


async def test_the_window_counts_bytes_not_characters():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=60)
    assert await send(window, "éééé")  # 4 characters, 8 bytes
    assert await send(window, "éé")  # 4 more bytes would pass the window of 10: it waits (as characters, 6 would not)
    assert socket.data() == ["éééé"] and socket.pings() == 1
    await window.answered()
    assert socket.data() == ["éééé", "éé"]


async def test_waiting_bytes_count_against_the_limit():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=12, patience_s=60)
    assert await send(window, "a" * 8)
    assert await send(window, "é" * 6)  # 12 bytes wait: the limit, not past it
    assert not await send(window, "é")  # 14 bytes waiting pass it (as characters, 7 would not)


class Recorder:
    user_id = 1
    api_key_id: str | None = None

    def __init__(self):
        self.pushed: list[tuple[str, int]] = []

    async def push(self, text: str, size: int) -> None:
        self.pushed.append((text, size))

    async def close_for(self, reason: str) -> None:
        raise AssertionError(reason)

    async def close_for_restart(self) -> None:
        raise AssertionError("closed for a restart")

    def write_failed(self) -> None:
        raise AssertionError("a write failed")

    def queued_bytes(self) -> int:
        return 0


async def test_the_hub_measures_each_text_once_for_all_its_sockets(monkeypatch):
    measured = []

    def counting_utf8_size(text: str) -> int:
        measured.append(text)
        return utf8_size(text)

    monkeypatch.setattr("streams.hub.utf8_size", counting_utf8_size)
    hub, state, ref = Hub(layer=None), StreamState("group", "system_health"), StreamRef("system_health", "")
    connections = [Recorder() for _ in range(3)]
    state.raw = {Subscription(conn, ref, buffering=False) for conn in connections}
    await hub._fan_out(state, [(1, "prix: 5 €"), (2, "ok")])
    assert measured == ["prix: 5 €", "ok"]
    assert all(conn.pushed == [("prix: 5 €", 11), ("ok", 2)] for conn in connections)


async def test_a_pong_nobody_asked_for_acknowledges_nothing():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=60)
    await window.answered()
    assert window.acked == 0


def publish_notices(count: int, size: int, filler: str = "x") -> None:
    with transaction.atomic():
        for n in range(count):
            publish(
                event=MaintenanceNotice(
                    service="matching_engine",
                    start_time=datetime(2030, 1, 1, tzinfo=UTC),
                    end_time=datetime(2030, 1, 1, 1, tzinfo=UTC),
                    description=f"{n} " + filler * size,
                )
            )


async def subscribed(authed, trader):
    client = await authed(trader)
    await client.send({"type": "subscribe", "channel": "system_health"})
    await client.wait_for("subscription_response", status="subscribed")
    await client.wait_for("system_status")  # the snapshot
    return client


@pytest.mark.parametrize("limit, patience_s", [(10_000, 60.0), (1_000_000, 0.0)], ids=["too_much_waits", "too_long"])
async def test_a_client_that_does_not_answer_pings_is_closed_as_a_slow_consumer(authed, settings, trader, limit, patience_s):
    settings.CDX_WS_SEND_WINDOW_BYTES = 4000
    settings.CDX_WS_SEND_QUEUE_BYTES = limit
    settings.CDX_WS_SLOW_CONSUMER_S = patience_s
    client = await subscribed(authed, trader)
    disconnects = REGISTRY.get_sample_value("cantondex_ws_slow_consumer_disconnects_total") or 0.0
    await sync_to_async(publish_notices)(20, 1000)  # 20 KB: more than the window and the first limit
    error = await client.wait_for("error")
    assert assert_error(error, "CONNECTION_CLOSED") == {"reason": "slow_consumer", "closing": True}
    assert await client.wait_closed() == CloseCode.SLOW_CONSUMER
    assert REGISTRY.get_sample_value("cantondex_ws_slow_consumer_disconnects_total") == disconnects + 1
    notices = [m for m in client.received if m["type"] == "maintenance_notice"]
    assert 0 < len(notices) < 20


async def test_the_send_limits_count_utf8_bytes_of_non_ascii_text(authed, settings, trader):
    settings.CDX_WS_SEND_WINDOW_BYTES = 6000
    settings.CDX_WS_SEND_QUEUE_BYTES = 3000
    client = await subscribed(authed, trader)
    # Each notice is about 1,200 characters but 3,200 bytes: the first goes, the second would pass the window
    # and waits, and its 3,200 bytes pass the limit. Counted in characters, all four would fit the window.
    await sync_to_async(publish_notices)(4, 1000, filler="€")
    error = await client.wait_for("error")
    assert assert_error(error, "CONNECTION_CLOSED") == {"reason": "slow_consumer", "closing": True}
    assert [m["type"] for m in client.received].count("maintenance_notice") == 1


async def test_a_client_that_answers_pings_gets_every_event_in_order(authed, settings, trader):
    settings.CDX_WS_SEND_WINDOW_BYTES = 4000
    settings.CDX_WS_SEND_QUEUE_BYTES = 100_000
    client = await subscribed(authed, trader)
    start = await sync_to_async(stream_sequence)(channel="system_health")
    await sync_to_async(publish_notices)(50, 1000)  # 50 KB through a 4 KB window
    sequences: list[int] = []
    while len(sequences) < 50:
        message = await client.next()
        if message["type"] == "ping":
            await client.send({"type": "pong"})
        elif message["type"] == "maintenance_notice":
            sequences.append(message["sequence"])
    assert sequences == list(range(start + 1, start + 51))


async def test_a_pong_the_server_asked_for_passes_the_rate_limit(authed, settings, trader):
    settings.CDX_WS_RATE_LIMIT_PER_S = 2  # auth and subscribe take both tokens; the next comes in 0.5 s
    settings.CDX_WS_SEND_WINDOW_BYTES = 4000
    client = await subscribed(authed, trader)
    await sync_to_async(publish_notices)(10, 1000)  # 10 KB through a 4 KB window: pongs needed at once
    notices: list[dict] = []
    while len(notices) < 10:
        message = await client.next()
        assert message["type"] != "error", message
        if message["type"] == "ping":
            await client.send({"type": "pong"})
        elif message["type"] == "maintenance_notice":
            notices.append(message)


# Direct replies: the window paces what the server pushes, not the answers to the client's own requests.


async def test_a_direct_reply_goes_out_at_once_even_while_pushed_text_waits():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=100, patience_s=0.0)
    assert await send(window, "a" * 8)
    assert await send(window, "b" * 8)  # waits for a pong
    assert await window.reply("pong", 4)
    assert socket.data() == ["a" * 8, "pong"]
    assert await window.reply("x" * 20, 20)  # replies are outside the window and start no patience clock
    assert socket.data()[-1] == "x" * 20


async def test_unread_replies_still_count_toward_the_limit():
    socket = Socket()
    window = SendWindow(socket.write, window=10, limit=30, patience_s=60)
    assert await window.reply("a" * 20, 20)
    assert socket.pings() == 1  # half a window of replies unread: a ping asks whether they were read
    await window.answered()
    assert await window.reply("b" * 20, 20)  # the first twenty were read
    assert not await window.reply("c" * 20, 20)  # forty unread > 30: the caller closes


async def test_an_officer_whose_own_batch_subscribes_fill_the_window_is_not_closed(authed, settings, officer):
    settings.CDX_WS_SEND_WINDOW_BYTES = 2000
    settings.CDX_WS_SLOW_CONSUMER_S = 0.0  # any wait for a pong would close it at once
    client = await authed(officer)
    batch = {"type": "subscribe", "channels": [{"channel": "compliance_events"}] * 40}
    for _ in range(3):  # about 3 x 40 replies of 200 bytes: several windows, and pings it never answers
        await client.send(batch)
    pong = await client.request({"type": "ping", "correlation_id": "late"})
    while pong["type"] != "pong":  # the replies before it
        assert pong["type"] != "error" or pong["code"] == "ALREADY_SUBSCRIBED", pong
        pong = await client.next()
    assert pong["correlation_id"] == "late"
    assert await client.nothing_more()
