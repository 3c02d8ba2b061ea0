"""The e2e harness stops what a module left running: a process still alive is killed and named, one that ended
is forgotten (tests/conftest.py fails the module that leaves one)."""

import subprocess
import sys

from tests.e2e import server


def test_a_process_left_running_is_killed_and_named_and_one_that_ended_is_forgotten(monkeypatch):
    monkeypatch.setattr(server, "started", [])
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=10)
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    server.started.extend([ended, running])

    assert server.leftovers_stopped() == [[sys.executable, "-c", "import time; time.sleep(60)"]]
    assert running.poll() is not None, "killed"
    assert server.started == [] and server.leftovers_stopped() == []
