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

from kernel import jobs
from streams.hub import drain_hub

log = logging.getLogger(__name__)

_draining: "asyncio.Task | None" = None  # held here: the loop keeps only a weak reference to a task


def sigterm_take(reactor: Any, ports: list[Any]) -> None:
    """Once the reactor runs (Twisted's handler is in place): SIGTERM drains instead. `ports`: daphne's
    listening ports (Twisted IListeningPort)."""
    # Like Twisted's own handler: the signal arrives between two bytecodes; the work runs on the reactor.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: reactor.callFromThread(_begin, reactor, ports))


def _begin(reactor: Any, ports: list[Any]) -> None:
    global _draining
    if _draining is not None:
        log.warning("second SIGTERM: stopping without waiting for the drain")
        reactor.stop()
        return
    log.info("SIGTERM: draining for at most %gs", settings.CDX_DRAIN_TIMEOUT_S)
    for port in ports:  # new connections are refused: the load balancer sends them to the other servers
        port.stopListening()
    _draining = asyncio.get_running_loop().create_task(_drain(), name="cdx-drain")
    _draining.add_done_callback(lambda _: _stop(reactor))


async def _drain() -> None:
    timeout_s = settings.CDX_DRAIN_TIMEOUT_S
    outcomes = await asyncio.gather(
        drain_hub(timeout_s=timeout_s), asyncio.to_thread(jobs.stop_in_process, timeout_s=timeout_s), return_exceptions=True
    )
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            log.error("drain failed; stopping anyway", exc_info=outcome)


def _stop(reactor: Any) -> None:
    log.info("drained; stopping")
    if reactor.running:
        reactor.stop()
