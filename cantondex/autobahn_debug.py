"""autobahn (daphne's WebSocket layer) builds the arguments of its debug log lines even when debug
logging is off: `sendData` colours a qualified name and two values with click for every frame sent,
and every new connection pretty-prints its whole configuration with pformat. In a burst that was about
a third of the server's time, and a tenth of a connection storm's.

`arguments_made_lazy` swaps those helpers, in the autobahn modules that call them, for ones that defer
the work until a log line is actually written: with debug logging on, the text is the same.
"""

from collections.abc import Callable
from pprint import pformat
from typing import Any


class _Deferred:
    """Formats as `render(value)`, computed only when a log line is written."""

    __slots__ = ("render", "value")

    def __init__(self, render: Callable[[Any], str], value: Any):
        self.render = render
        self.value = value

    def __str__(self) -> str:
        return self.render(self.value)

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(self.render(self.value), spec)


def _deferring(render: Callable[[Any], str]) -> Callable[[Any], _Deferred]:
    def deferred(value: Any) -> _Deferred:
        return _Deferred(render, value)

    return deferred


def arguments_made_lazy() -> None:
    from autobahn import util
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    for module in (protocol, twisted_websocket):
        module.hltype = _deferring(util.hltype)  # type: ignore[attr-defined]
        module.hlval = _deferring(util.hlval)  # type: ignore[attr-defined]
    protocol.pformat = _deferring(pformat)  # type: ignore[assignment]
    # The one caller that returns pformat's text itself (a __str__) must still get a str.
    protocol.Timings.__str__ = lambda timings: pformat(timings._timings)  # type: ignore[method-assign]
