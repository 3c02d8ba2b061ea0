"""Optional sampling profile of the project's server during the burst, with py-spy when it is installed.

py-spy is pinned with the test and benchmark requirements; `--profile DIR` uses it.
"""

import shutil
import signal
import subprocess
from collections import Counter
from pathlib import Path

from bench import processes


class Profile:
    def __init__(self, pid: int, out: Path, log_dir: Path):
        self.out = out
        py_spy = shutil.which("py-spy") or str(processes.VENV_BIN / "py-spy")
        self.proc = processes.start(
            [py_spy, "record", "--pid", str(pid), "--rate", "250", "--nonblocking", "--format", "raw", "--output", str(out)],
            env={"PATH": "/usr/bin:/bin"},
            log_path=log_dir / f"{out.stem}.py-spy.log",
        )

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        processes.stop(self.proc)


def available() -> str | None:
    """Why profiling cannot happen, or None."""
    if shutil.which("py-spy") or (processes.VENV_BIN / "py-spy").exists():
        return None
    return "py-spy is not installed (.venv/bin/pip install py-spy)"


def top_frames(raw: Path, limit: int = 15) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """Samples, and the functions with the most samples on top of the stack (self) and anywhere (total)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [_function(frame) for frame in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    return samples, own.most_common(limit), total.most_common(limit)


def _function(frame: str) -> str:
    # "send (twisted/internet/tcp.py:123)" -> "send (twisted/internet/tcp.py)": lines split one function
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", f"{processes.REPO}/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})" if path else name
