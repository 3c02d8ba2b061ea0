"""What the application changes in daphne when daphne serves it, installed from cantondex.asgi.

daphne installs its asyncio Twisted reactor before it imports the application, and Twisted installs its signal
handlers when the reactor starts; an "after startup" trigger therefore runs once daphne listens, with its
signal handlers in place, so the plain `daphne ... cantondex.asgi:application` command gets:
- the drain on SIGTERM (cantondex/drain.py);
- Python warnings written as log lines (one format on stderr: every line JSON in production);
- daphne's access log (plain text on stdout, a line per HTTP request, static files included, and per
  WebSocket handshake) as DEBUG lines of the `cantondex.access` logger: the gateway logs each request once
  itself, with its id (django-structlog), and each WebSocket with its connection id (streams/consumer.py).
Elsewhere (tests, another ASGI server) there is no such reactor and nothing is installed.
"""

import logging
import sys
from typing import Any

access_log = logging.getLogger("cantondex.access")


def install() -> None:
    reactor = sys.modules.get("twisted.internet.reactor")
    if reactor is None or type(reactor).__name__ != "AsyncioSelectorReactor":
        return
    reactor.addSystemEventTrigger("after", "startup", _started, reactor)


def _started(reactor: Any) -> None:
    from twisted.internet.interfaces import IListeningPort

    from . import drain

    ports = [reader for reader in reactor.getReaders() if IListeningPort.providedBy(reader)]
    drain.sigterm_take(reactor, ports)
    logging.captureWarnings(True)  # a Python warning is a log line too, in the same format, not raw stderr
    for port in ports:
        server: Any = getattr(port.factory, "server", None)  # daphne's HTTPFactory knows its Server
        if hasattr(server, "action_logger"):
            server.action_logger = _access_logged


def _access_logged(protocol: str, action: str, details: dict) -> None:
    access_log.debug("%s %s", protocol, action, extra={"details": details})
