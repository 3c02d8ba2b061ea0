"""The Python SDK's event classes are the server's declarations (streams.events): same types, same fields."""

import dataclasses

from cantondex_client.events import ENVELOPE, EVENT_TYPES

from streams.events import declared, field_types

# The channels whose events the SDK types; others (the auction channels' `payload` events) pass through as dicts.
TYPED_CHANNELS = {"orders", "trades", "settlements", "market_data", "account_notifications", "compliance_events", "system_health"}


def test_every_event_of_the_typed_channels_has_a_class_with_the_declared_fields():
    server = {
        kind: cls for kind, cls in declared().items()
        if cls.channel in TYPED_CHANNELS and not cls.__module__.startswith("tests.")  # other tests declare their own
    }
    assert set(EVENT_TYPES) == set(server)
    for kind, sdk_class in EVENT_TYPES.items():
        sdk_fields = {f.name for f in dataclasses.fields(sdk_class)} - ENVELOPE
        assert sdk_fields == set(field_types(server[kind])), kind
