"""Publishing in bulk: a batch costs two statements, keeps each stream's order, and a transaction wakes
the relay once; a rolled-back batch leaves no event and no used sequence number."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kernel.json import loads
from streams.models import StreamEvent
from streams.publishing import publish, publish_all, stream_sequence
from streams.relay import wake
from tests.streams.sample_events import note_of, sample_event

pytestmark = pytest.mark.django_db


def test_a_batch_is_one_cursor_upsert_and_one_insert_in_each_streams_order(trader, other_trader):
    mine, theirs = trader.account.id, other_trader.account.id
    publish(event=sample_event("orders", mine, note="before"), key=mine)
    batch = [
        (sample_event("orders", mine, note="a1"), mine),
        (sample_event("orders", mine, note="a2"), mine),
        (sample_event("orders", theirs, note="b1"), theirs),
        (sample_event("trades", mine, note="c1"), mine),
    ]
    with CaptureQueriesContext(connection) as captured:
        sequences = publish_all(events=batch)
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 2 and "SAVEPOINT" not in " ".join(q["sql"] for q in captured.captured_queries)
    assert sequences == [2, 3, 1, 1]
    rows = [loads(text) for text in StreamEvent.objects.order_by("id").values_list("text", flat=True)]
    assert [(m["channel"], note_of(m), m["sequence"]) for m in rows[-4:]] == [
        ("orders", "a1", 2), ("orders", "a2", 3), ("orders", "b1", 1), ("trades", "c1", 1)
    ]


def test_a_transaction_wakes_the_relay_once(trader, django_capture_on_commit_callbacks):
    key = trader.account.id
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        publish(event=sample_event("orders", key), key=key)
        publish_all(events=[(sample_event("orders", key), key), (sample_event("trades", key), key)])
    assert callbacks == [wake]


def test_a_rolled_back_batch_announces_nothing_and_uses_no_sequence(trader, django_capture_on_commit_callbacks):
    key = trader.account.id
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        publish_all(events=[(sample_event("orders", key), key), (sample_event("orders", key), key)])
        raise RuntimeError("rolled back")
    assert callbacks == [] and not StreamEvent.objects.exists()
    assert stream_sequence(channel="orders", key=key) == 0
    assert publish(event=sample_event("orders", key), key=key) == 1
