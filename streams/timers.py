"""A connection's timers (heartbeat, auth window, token expiry, idle): at most one of each name, as loop
timer handles, so an idle socket costs no task."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any


class Timers:
    def __init__(self, active: Callable[[], bool]):
        self.active = active  # a timer that fires once this is false does nothing (the connection is closing)
        self.handles: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task] = set()  # held here: the loop keeps only weak references

    def schedule(self, name: str, delay: float, action: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `action` in `delay` seconds, replacing the timer of that name."""
        self.cancel(name)
        self.handles[name] = asyncio.get_running_loop().call_later(delay, self._fire, name, action)

    def cancel(self, name: str) -> None:
        handle = self.handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def cancel_all(self) -> None:
        for handle in self.handles.values():
            handle.cancel()
        self.handles.clear()

    def _fire(self, name: str, action: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.handles.pop(name, None)
        if self.active():
            task = asyncio.create_task(action())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
