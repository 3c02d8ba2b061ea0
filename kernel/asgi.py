"""Django's ASGI handler with the middleware chain run in one thread, in one go.

Under ASGI Django builds its middleware chain async wherever a middleware allows it, and adapts at each
middleware that is sync only (WhiteNoise, two-factor): every such boundary, every MiddlewareMixin's
process_request/process_response in async mode, and finally the sync view each hop between the event
loop and a thread (six hops per REST request here, each a few event-loop passes and thread handoffs).
Every view of the project is sync, so the chain is built sync instead: one hop per request, into the
request's own thread (as before: Django's per-request thread-sensitive context), where the middleware
and the view run as plain calls. What runs and in which order is unchanged. At most
CDX_HTTP_CONCURRENCY requests run at once (concurrency_bounded says why).
"""

import asyncio
import weakref
from collections.abc import Callable, Collection, Coroutine
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest

# Paths answered without waiting for a request slot (an app's AppConfig.ready() adds them: operations adds its
# health and metrics endpoints, which a saturated process must still answer).
unqueued_paths: set[str] = set()


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain = sync_to_async(self._middleware_chain, thread_sensitive=True)  # type: ignore[has-type]
        self._middleware_chain = concurrency_bounded(chain, limit=settings.CDX_HTTP_CONCURRENCY, unqueued=unqueued_paths)


Chain = Callable[[HttpRequest], Coroutine[Any, Any, Any]]


def concurrency_bounded(chain: Chain, *, limit: int, unqueued: Collection[str] = ()) -> Chain:
    """`chain` with at most `limit` calls running at once per event loop; the others wait their turn on the loop.

    Each request runs in a thread of its own, and all of them and the event loop share one GIL: with a dozen
    requests runnable at once the loop got the GIL too seldom to relay and fan out what they committed (the order
    benchmark on four markets: `order_created` 500 ms to 1.3 s after the REST answer). A few threads at a time
    keep a 2-core server as busy, and the loop, which queues the rest at almost no cost, stays responsive.
    Requests for a path in `unqueued` go straight on."""
    slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()

    async def bounded(request: HttpRequest):
        if request.path_info in unqueued:
            return await chain(request)
        loop = asyncio.get_running_loop()
        slot = slots.get(loop) or slots.setdefault(loop, asyncio.Semaphore(limit))
        async with slot:
            return await chain(request)

    return bounded


def asgi_application() -> SyncChainASGIHandler:
    """As django.core.asgi.get_asgi_application, with the chain above."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
