"""One trip to the ORM thread for many connections asking the same kind of question at once.

Channels runs every ORM call of the process on one thread, one after another. In a connection
storm a thousand sockets each queue their own principal lookup and snapshot read there. A Batch
collects the keys asked for until the ORM thread starts on it and answers them all in one call
(one query for a thousand principals). A key joins only a batch that has not started, so every
answer is read after it was asked for, as a call of its own would be.
"""

import asyncio
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from channels.db import database_sync_to_async

K = TypeVar("K", bound=Hashable)


class _Batch:
    __slots__ = ("done", "keys", "lock", "started")

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.keys: dict[Any, None] = {}
        self.started = False
        self.lock = threading.Lock()
        self.done: asyncio.Future = loop.create_future()


_ABANDONED = object()


class Batcher(Generic[K]):
    def __init__(self, read: Callable[[list[K]], dict[K, Any]]):
        self.read = read  # runs on the ORM thread; keys missing from its answer get None
        self.open: dict[asyncio.AbstractEventLoop, _Batch] = {}

    async def get(self, key: K) -> Any:
        while True:
            answers = await self._answers(key)
            if answers is not _ABANDONED:
                break
        answer = answers.get(key)
        if isinstance(answer, Failed):
            raise answer.error
        return answer

    async def _answers(self, key: K) -> Any:
        loop = asyncio.get_running_loop()
        batch = self.open.get(loop)
        if batch is not None:
            with batch.lock:
                joined = not batch.started
                if joined:
                    batch.keys[key] = None
            if joined:
                return await asyncio.shield(batch.done)
        # This caller leads a new batch and awaits the read itself, so it reaches the ORM thread's
        # queue now, ahead of anything this caller does next (a task would start a loop pass later).
        batch = self.open[loop] = _Batch(loop)
        batch.keys[key] = None
        try:
            answers = await database_sync_to_async(self._read)(batch)
        except asyncio.CancelledError:
            with batch.lock:
                batch.started = True  # closed to newcomers, who lead a batch of their own
            batch.done.set_result(_ABANDONED)  # those who joined ask again
            raise
        except Exception as error:
            batch.done.set_exception(error)
            batch.done.exception()  # retrieved: nobody may have joined
            raise
        batch.done.set_result(answers)
        return answers

    def _read(self, batch: _Batch) -> dict[K, Any]:
        with batch.lock:
            batch.started = True
            keys = list(batch.keys)
        return self.read(keys)


class Failed:
    """The answer for a key whose reading raised: `get` raises it for that key alone."""

    __slots__ = ("error",)

    def __init__(self, error: Exception):
        self.error = error


def each(read_one: Callable[[K], Any]) -> Callable[[Iterable[K]], dict[K, Any]]:
    """A batch reader for a question without a bulk form: answered key by key, in one trip."""

    def read(keys: Iterable[K]) -> dict[K, Any]:
        answers = {}
        for key in keys:
            try:
                answers[key] = read_one(key)
            except Exception as error:
                answers[key] = Failed(error)
        return answers

    return read
