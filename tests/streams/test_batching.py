"""Concurrent ORM questions of many connections share one trip to the ORM thread."""

import asyncio

import pytest

from streams.batching import Batcher, each

pytestmark = pytest.mark.django_db(transaction=True)


async def test_keys_asked_while_a_read_is_under_way_share_the_next_call():
    started, release = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    calls = []

    def read(keys):
        calls.append(list(keys))
        if len(calls) == 1:
            loop.call_soon_threadsafe(started.set)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result()
        return {key: key * 10 for key in keys}

    batcher = Batcher(read)
    first = asyncio.ensure_future(batcher.get(0))
    await started.wait()
    rest = asyncio.gather(*(batcher.get(n) for n in (1, 2, 2, 3)))
    while len(batcher.open[loop].keys) < 3:  # until all four have joined the next batch
        await asyncio.sleep(0)
    release.set()
    assert await first == 0
    assert await rest == [10, 20, 20, 30]
    assert calls == [[0], [1, 2, 3]]


async def test_a_key_asked_after_the_read_started_gets_a_read_of_its_own():
    started, release = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    calls = []

    def read(keys):
        calls.append(list(keys))
        loop.call_soon_threadsafe(started.set)
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result()
        return {key: len(calls) for key in keys}

    batcher = Batcher(read)
    first = asyncio.ensure_future(batcher.get("a"))
    await started.wait()  # the first read is under way: "a" again must not take its answer
    reading = batcher.open[loop]
    second = asyncio.ensure_future(batcher.get("a"))
    while batcher.open[loop] is reading:  # until "a" again has led a batch of its own
        await asyncio.sleep(0)
    release.set()
    assert await first == 1
    assert await second == 2
    assert calls == [["a"], ["a"]]


async def test_a_failing_key_fails_alone():
    def read_one(key):
        if key == "bad":
            raise LookupError(key)
        return key.upper()

    batcher: Batcher[str] = Batcher(each(read_one))
    outcomes = await asyncio.gather(batcher.get("ok"), batcher.get("bad"), return_exceptions=True)
    good, bad = outcomes
    assert good == "OK" and isinstance(bad, LookupError)


async def test_a_missing_answer_is_none():
    batcher: Batcher[int] = Batcher(lambda keys: {})
    assert await batcher.get(7) is None


async def test_when_the_caller_leading_a_batch_goes_away_the_others_ask_again():
    started, release = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    def read(keys):
        if keys == ["busy"]:  # holds the ORM thread, so the next batch waits in its queue
            loop.call_soon_threadsafe(started.set)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result()
        return {key: key.upper() for key in keys}

    batcher = Batcher(read)
    busy = asyncio.ensure_future(batcher.get("busy"))
    await started.wait()
    leader = asyncio.ensure_future(batcher.get("lead"))
    while "lead" not in batcher.open.get(loop, _NoBatch).keys:
        await asyncio.sleep(0)
    joiner = asyncio.ensure_future(batcher.get("join"))
    while "join" not in batcher.open[loop].keys:
        await asyncio.sleep(0)
    leader.cancel()  # its socket closed while the batch waited
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert await joiner == "JOIN" and await busy == "BUSY"


class _NoBatch:
    keys: dict = {}
