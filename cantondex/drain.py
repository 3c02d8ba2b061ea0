"""Graceful shutdown under daphne: on SIGTERM the process drains before it exits (docs/deployment.md).

daphne's own SIGTERM handling (Twisted's) stops the reactor at once, and daphne then cancels every
consumer: clients learn nothing but a dropped socket. Instead, once the reactor runs, SIGTERM here
1. closes the listening sockets (new connections go to the other servers),
2. drains the hub (streams.hub.drain_hub): every client gets CONNECTION_CLOSED `server_restart` and close
   code 4012, its connection count is released at once, and the relay finishes its pass,
3. meanwhile stops this process's jobs (the runs in progress end) and gives up their leases, so another
   process takes the jobs over at once,
and then stops the reactor; each step is bounded by CDX_DRAIN_TIMEOUT_S. A second SIGTERM stops at once.

It is installed from the application (cantondex/daphne_hooks.py), so the plain `daphne ... cantondex.asgi:application`
command drains.
"""

import asyncio
import logging
import signal
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

_draining = False


def sigterm_take(reactor: Any) -> None:
    """Once the reactor runs (Twisted's handler is in place): SIGTERM drains instead."""
    # Like Twisted's own handler: the signal arrives between two bytecodes; the work runs on the reactor.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: reactor.callFromThread(_begin, reactor))


def _begin(reactor: Any) -> None:
    global _draining
    if _draining:
        log.warning("second SIGTERM: stopping without waiting for the drain")
        reactor.stop()
        return
    _draining = True
    log.info("SIGTERM: draining for at most %gs", settings.CDX_DRAIN_TIMEOUT_S)
    _stop_listening(reactor)
    asyncio.get_running_loop().create_task(_drain()).add_done_callback(lambda _: _stop(reactor))


def _stop_listening(reactor: Any) -> None:
    from .daphne_hooks import listening_ports

    for port in listening_ports(reactor):
        port.stopListening()


async def _drain() -> None:
    from kernel import jobs
    from streams.hub import drain_hub

    timeout_s = settings.CDX_DRAIN_TIMEOUT_S
    outcomes = await asyncio.gather(
        drain_hub(timeout_s=timeout_s), asyncio.to_thread(jobs.stop_in_process, timeout_s), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            log.error("drain failed; stopping anyway", exc_info=outcome)


def _stop(reactor: Any) -> None:
    log.info("drained; stopping")
    if reactor.running:
        reactor.stop()
