"""The admin shows how the background jobs are doing, and lets nobody change it."""

import pytest

from kernel import jobs
from kernel.models import JobStatus
from tests.two_factor import force_login_verified

pytestmark = pytest.mark.django_db

JOB_STATUSES = "/admin/kernel/jobstatus/"


def test_the_admin_lists_each_jobs_runs_read_only(client, administrator, monkeypatch):
    monkeypatch.setattr(jobs, "_jobs", {})
    jobs.register("fails", lambda: 1 / 0, interval_setting="CDX_EVENT_LOG_PRUNE_INTERVAL_S")
    jobs.run_due(force=True)
    force_login_verified(client, administrator)

    listing = client.get(JOB_STATUSES)
    assert listing.status_code == 200
    assert "fails" in listing.content.decode() and "failed" in listing.content.decode()
    detail = client.get(f"{JOB_STATUSES}fails/change/")
    assert detail.status_code == 200 and "ZeroDivisionError" in detail.content.decode()
    assert client.get(f"{JOB_STATUSES}add/").status_code == 403
    assert client.post(f"{JOB_STATUSES}fails/delete/", {"post": "yes"}).status_code == 403
    assert JobStatus.objects.filter(name="fails").exists()
