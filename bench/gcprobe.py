"""Runs a server with its garbage collector's pauses recorded: `python -m bench.gcprobe FILE MODULE [ARG ...]`.

MODULE runs as `python -m MODULE ARG ...` would (daphne, or a baseline). Every collection's duration
is taken from gc.callbacks, as wall time (what the sockets wait) and as the thread's CPU time (what
the collection cost; on a busy machine the wall time also counts time the process was not running).
On SIGUSR1 the pauses since the previous SIGUSR1 are written to FILE as JSON ({"0": [[wall ms, cpu
ms], ...], "1": [...], "2": [...]}, by generation) and forgotten: the benchmark signals before and
after a phase and reads the phase's own pauses. The server itself is not changed.

When the server runs with tracemalloc on (PYTHONTRACEMALLOC=1, `--tracemalloc`), SIGUSR2 writes a
snapshot of its heap to FILE.heap (the benchmark compares one before and one after the storm).
"""

import gc
import json
import runpy
import signal
import sys
import time
import tracemalloc
from pathlib import Path


class PauseLog:
    def __init__(self, out: Path):
        self.out = out
        self.pauses: dict[int, list[tuple[float, float]]] = {0: [], 1: [], 2: []}
        self.started = (0.0, 0.0)

    def on_collection(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = (time.perf_counter(), time.thread_time())
        else:
            wall, cpu = time.perf_counter() - self.started[0], time.thread_time() - self.started[1]
            self.pauses[info["generation"]].append((wall * 1000, cpu * 1000))

    def dump(self, signum=None, frame=None) -> None:
        pauses, self.pauses = self.pauses, {0: [], 1: [], 2: []}
        partial = self.out.with_suffix(".partial")
        partial.write_text(json.dumps(pauses))
        partial.replace(self.out)  # the reader never sees half a file


def heap_dump(out: Path) -> None:
    if tracemalloc.is_tracing():
        partial = out.with_suffix(".partial-heap")
        tracemalloc.take_snapshot().dump(str(partial))
        partial.replace(out)


def main() -> None:
    out, module, *args = sys.argv[1:]
    log = PauseLog(Path(out))
    gc.callbacks.append(log.on_collection)
    signal.signal(signal.SIGUSR1, log.dump)
    signal.signal(signal.SIGUSR2, lambda signum, frame: heap_dump(Path(out).with_suffix(".heap")))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
