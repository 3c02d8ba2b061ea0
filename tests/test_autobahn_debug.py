"""daphne's autobahn builds its debug log arguments lazily, and with the same text when they are written."""

from autobahn import util
from autobahn.websocket import protocol

from cantondex import autobahn_debug


def test_debug_arguments_are_formatted_only_when_written_and_read_the_same():
    autobahn_debug.arguments_made_lazy()
    rendered = []

    def counting(value):
        rendered.append(value)
        return util.hlval(value)

    deferred = autobahn_debug._deferring(counting)(42)
    assert rendered == []  # building the argument did no formatting
    assert f"{deferred}" == util.hlval(42)
    assert rendered == [42]

    method = protocol.WebSocketProtocol.sendData
    assert str(protocol.hltype(method)) == util.hltype(method)
    assert f"{protocol.hlval('peer')}" == util.hlval("peer")
    assert str(protocol.pformat({"a": [1, 2]})) == "{'a': [1, 2]}"


def test_timings_still_print_as_text():
    autobahn_debug.arguments_made_lazy()
    timings = protocol.Timings()
    timings.track("start")
    assert "start" in str(timings)
