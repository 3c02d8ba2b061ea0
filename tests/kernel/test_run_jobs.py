"""`manage.py run_jobs` stopped by SIGTERM (a supervisor's stop) gives the jobs lease up at once."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.utils import timezone

from kernel import jobs
from kernel.models import Lease
from tests.e2e.server import ROOT, database_url

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WAIT_S = 20.0


def test_a_terminated_job_worker_gives_the_lease_up_at_once(tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "cantondex.settings"}
    env.pop("REDIS_URL", None)
    with open(tmp_path / "run_jobs.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_jobs"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + WAIT_S
        while not Lease.objects.filter(name=jobs.LEADER_LEASE, expires_at__gt=timezone.now()).exists():
            assert time.monotonic() < deadline and worker.poll() is None, (tmp_path / "run_jobs.log").read_text()
            time.sleep(0.05)  # polling a row another process writes: nothing announces it
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=WAIT_S) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert Lease.objects.get(name=jobs.LEADER_LEASE).expires_at <= timezone.now(), "released, not left to expire"
    assert jobs.lease_acquire(holder="another-worker")
