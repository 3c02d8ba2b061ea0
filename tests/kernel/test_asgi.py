"""kernel.asgi: at most CDX_HTTP_CONCURRENCY requests run at once; the others wait on the event loop."""

import asyncio
import threading

from asgiref.sync import sync_to_async

from kernel.asgi import concurrency_bounded

LIMIT = 2


async def test_no_more_than_the_limit_run_at_once_and_the_rest_run_in_turn():
    loop = asyncio.get_running_loop()
    release = threading.Event()
    lock = threading.Lock()
    running, most = 0, 0
    started: asyncio.Queue[int] = asyncio.Queue()

    def request(number: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        loop.call_soon_threadsafe(started.put_nowait, number)
        release.wait(timeout=30)
        with lock:
            running -= 1
        return number

    bounded = concurrency_bounded(sync_to_async(request, thread_sensitive=False), limit=LIMIT)
    calls = [asyncio.create_task(bounded(number)) for number in range(LIMIT + 3)]
    first = {await started.get() for _ in range(LIMIT)}  # the first LIMIT are in their threads, blocked
    assert started.empty() and not any(call.done() for call in calls)  # the others wait on the loop, not in threads
    release.set()

    assert await asyncio.gather(*calls) == list(range(LIMIT + 3))  # every one ran, each answered its own
    assert most == LIMIT and len(first) == LIMIT
