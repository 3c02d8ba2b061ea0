"""kernel.asgi: at most CDX_HTTP_CONCURRENCY requests run at once; the others wait on the event loop, except
the unqueued paths (health checks, metrics)."""

import asyncio
import threading

from asgiref.sync import sync_to_async
from django.http import HttpRequest

from kernel.asgi import concurrency_bounded

LIMIT = 2


def call_of(number: int, path: str) -> HttpRequest:
    request = HttpRequest()
    request.path_info, request.META["number"] = path, number
    return request


async def test_no_more_than_the_limit_run_at_once_and_the_rest_run_in_turn():
    loop = asyncio.get_running_loop()
    release = threading.Event()
    lock = threading.Lock()
    running, most = 0, 0
    started: asyncio.Queue[int] = asyncio.Queue()

    def request(call: HttpRequest) -> int:
        number = call.META["number"]
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        loop.call_soon_threadsafe(started.put_nowait, number)
        release.wait(timeout=30)
        with lock:
            running -= 1
        return number

    bounded = concurrency_bounded(sync_to_async(request, thread_sensitive=False), limit=LIMIT, unqueued={"/healthz"})
    calls = [asyncio.create_task(bounded(call_of(n, "/v1/orders"))) for n in range(LIMIT + 3)]
    first = {await started.get() for _ in range(LIMIT)}  # the first LIMIT are in their threads, blocked
    assert started.empty() and not any(call.done() for call in calls)  # the others wait on the loop, not in threads
    health = asyncio.create_task(bounded(call_of(99, "/healthz")))
    assert await asyncio.wait_for(started.get(), 10) == 99  # a health check does not wait for a slot
    release.set()

    assert await asyncio.gather(*calls) == list(range(LIMIT + 3))  # every one ran, each answered its own
    assert await health == 99
    assert len(first) == LIMIT and most == LIMIT + 1  # the slots' LIMIT, and the health check beside them
