"""Shapes of delivered events, derived from their declarations (streams.events), and which types the suite saw.

`assert_event_shape` checks a delivered event against its declaration: exactly the declared fields (under
the envelope key for enveloped events) plus the delivery fields, JSON types that follow the annotations,
and well-formed ids. The test clients call `check_delivered` on every message they read, so each delivered
event is checked and its type recorded; after a full run the session fails if a declared type was never
exercised (`pytest_sessionfinish` below, imported by tests/conftest.py).
"""

import re
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from streams.events import declared, field_types, optional_of

DELIVERY_FIELDS = {"type", "channel", "sequence", "timestamp"}
REPLY_TYPES = {"auth_response", "subscription_response", "unsubscribe_response", "pong", "error"}

ID_PATTERNS = {
    "account_id": r"acc_[0-9a-f]{16}",
    "order_id": r"ord_[0-9a-f]{16}",
    "trade_id": r"trd_[0-9a-f]{16}",
    "settlement_id": r"set_[0-9a-f]{16}",
    "deposit_id": r"dep_[0-9a-f]{16}",
    "withdrawal_id": r"wth_[0-9a-f]{16}",
    "alert_id": r"alr_[0-9a-f]{16}",
    "event_id": r"evt_[0-9a-f]{16}",
    "dvp_transaction_id": r"dvp_tx_[0-9a-f]+",
    "auction_id": r"auc_[0-9a-f]{16}",
    "bid_id": r"bid_[0-9a-f]{16}",
}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")

exercised: set[str] = set()  # every declared type an event of which passed assert_event_shape


def check_delivered(message: dict[str, Any]) -> None:
    """What the test clients call on every message they read: events (they carry a sequence) are checked."""
    if "sequence" in message and message.get("type") not in REPLY_TYPES:
        assert_event_shape(message)


def assert_event_shape(event: dict[str, Any]) -> None:
    kind = event.get("type", "")
    declaration = declared().get(kind)
    assert declaration is not None, f"{kind!r} is not a declared event type: {event}"
    expected_fields = field_types(declaration)
    delivery = DELIVERY_FIELDS | {name for name in ("snapshot", "aggregation") if name in event}
    body = event
    if declaration.envelope:
        delivery |= {declaration.envelope}
        enveloped = event.get(declaration.envelope)
        assert isinstance(enveloped, dict), f"{kind}: no {declaration.envelope!r} object: {event}"
        body = enveloped
        assert set(event) == delivery, f"{kind}: top-level fields {sorted(event)}, expected {sorted(delivery)}"
    else:
        expected = set(expected_fields) | delivery
        assert set(event) == expected, (
            f"{kind}: missing {sorted(expected - set(event))}, undeclared {sorted(set(event) - expected)}"
        )
    if declaration.envelope:
        assert set(body) == set(expected_fields), (
            f"{kind}.{declaration.envelope}: missing {sorted(set(expected_fields) - set(body))}, "
            f"undeclared {sorted(set(body) - set(expected_fields))}"
        )
    assert event["channel"] == declaration.channel, f"{kind} arrived on {event['channel']}, declared on {declaration.channel}"
    assert event.get("snapshot", True) is True, event["snapshot"]
    first = 0 if event.get("snapshot") else 1  # a snapshot of a stream without events yet is based on 0
    assert _is_int(event["sequence"]) and event["sequence"] >= first, event["sequence"]
    assert isinstance(event["timestamp"], str) and TIMESTAMP.fullmatch(event["timestamp"]), event["timestamp"]
    for name, annotation in expected_fields.items():
        assert _matches(body[name], annotation), f"{kind}.{name} = {body[name]!r} is not JSON for {annotation}"
    for name, pattern in ID_PATTERNS.items():
        if isinstance(body.get(name), str):
            assert re.fullmatch(pattern, body[name]), f"{kind}.{name} = {body[name]!r}"
    exercised.add(kind)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _matches(value: Any, annotation: Any) -> bool:
    """Whether a parsed JSON value is what the encoder makes of a field with this annotation."""
    inner = optional_of(annotation)
    if value is None:
        return inner is not annotation
    origin = typing.get_origin(inner) or inner
    if origin in (Decimal, float):
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if origin is int:
        return _is_int(value)
    if origin is datetime:
        return isinstance(value, str) and TIMESTAMP.fullmatch(value) is not None
    if origin is Any:
        return True
    return isinstance(value, origin)


# The check that every declared type is exercised: only a run of the whole default suite can tell.

_run = {"deselected": 0, "finished": 0}
_unexercised: list[str] = []


def app_declared_types() -> set[str]:
    """The declared types of the apps (tests may declare their own, e.g. to try an envelope)."""
    return {kind for kind, cls in declared().items() if not cls.__module__.startswith("tests.")}


def pytest_deselected(items) -> None:
    _run["deselected"] += len(items)


def pytest_runtest_logfinish(nodeid, location) -> None:
    _run["finished"] += 1


def _whole_suite_ran(session: pytest.Session) -> bool:
    config = session.config
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not config.option.markexpr
        and not _run["deselected"]
        and session.testscollected > 0
        and _run["finished"] == session.testscollected
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus != pytest.ExitCode.OK or not _whole_suite_ran(session):
        return
    _unexercised[:] = sorted(app_declared_types() - exercised)
    if _unexercised:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _unexercised:
        terminalreporter.write_line(
            f"FAILED: declared event types no test delivered and checked: {', '.join(_unexercised)}", red=True
        )
