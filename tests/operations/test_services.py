"""Maintenance notices and service status: validation, the events each change publishes, the job's moves."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from kernel import jobs
from kernel.errors import ServiceError
from operations.models import MaintenanceNotice, NoticeState, ServiceStatus, StatusSource
from operations.selectors import system_overview
from operations.services import (
    maintenance_notice_cancel,
    maintenance_notice_post,
    maintenance_notice_update,
    maintenance_windows_advance,
    service_status_observe,
    service_status_set,
)
from tests.event_shapes import assert_event_shape
from tests.operations.support import system_health_events, window

pytestmark = pytest.mark.django_db


def post(author, service="matching_engine", start_in_s=60, end_in_s=3600, description="Engine upgrade"):
    return maintenance_notice_post(author=author, service=service, description=description, **window(start_in_s, end_in_s))


def test_post_publishes_the_seed_maintenance_notice(administrator):
    notice = post(administrator)
    assert notice.id.startswith("mnt_") and notice.state == NoticeState.SCHEDULED and notice.author == administrator
    [event] = system_health_events()
    assert_event_shape(event)
    assert event["type"] == "maintenance_notice" and event["service"] == "matching_engine"
    assert event["description"] == "Engine upgrade"
    assert event["start_time"].endswith("Z") and event["end_time"].endswith("Z")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"service": "coffee_machine"}, "service"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 501}, "description"),
        ({"start_in_s": 60, "end_in_s": 60}, "end_time"),
        ({"start_in_s": 60, "end_in_s": 30}, "end_time"),
        ({"start_in_s": -120, "end_in_s": -60}, "end_time"),
    ],
)
def test_bad_windows_are_refused_and_announce_nothing(administrator, changes, field):
    with pytest.raises(ValidationError) as refused:
        post(administrator, **changes)
    assert field in refused.value.message_dict
    assert system_health_events() == [] and not MaintenanceNotice.objects.exists()


def test_overlapping_windows_of_one_service_are_refused(administrator):
    first = post(administrator, start_in_s=60, end_in_s=3600)
    with pytest.raises(ServiceError) as refused:
        post(administrator, start_in_s=1800, end_in_s=7200)
    assert refused.value.code == "MAINTENANCE_OVERLAP" and refused.value.details["notice_id"] == first.id
    post(administrator, service="market_data", start_in_s=1800, end_in_s=7200)  # another service may
    post(administrator, start_in_s=3600, end_in_s=7200)  # and the same one right after


def test_the_job_starts_and_ends_a_window_once(administrator):
    notice = post(administrator, start_in_s=-1, end_in_s=3600)
    assert maintenance_windows_advance() == 1
    assert maintenance_windows_advance() == 0  # a second (or overlapping) runner finds nothing to do
    notice.refresh_from_db()
    assert notice.state == NoticeState.ACTIVE
    _, degraded, status = system_health_events()
    assert_event_shape(degraded)
    assert_event_shape(status)
    assert degraded["type"] == "service_degraded" and degraded["service"] == "matching_engine"
    assert degraded["status"] == "maintenance" and degraded["message"] == "Engine upgrade"
    assert status["type"] == "system_status" and status == {**status, "status": "maintenance", "all_services_healthy": False}

    later = notice.end_time + timedelta(seconds=1)
    assert maintenance_windows_advance(now=later) == 1
    assert maintenance_windows_advance(now=later) == 0
    notice.refresh_from_db()
    assert notice.state == NoticeState.COMPLETED
    recovered, status = system_health_events()[-2:]
    assert recovered["type"] == "service_degraded" and recovered["status"] == "operational"
    assert status["type"] == "system_status" and status["status"] == "operational" and status["all_services_healthy"]


def test_a_window_missed_entirely_is_completed_directly(administrator):
    notice = post(administrator, start_in_s=1, end_in_s=2)
    assert maintenance_windows_advance(now=notice.end_time) == 1
    notice.refresh_from_db()
    assert notice.state == NoticeState.COMPLETED


@pytest.mark.django_db(transaction=True)  # run_due closes connections after each job, as a server does
def test_the_registered_job_moves_windows(administrator):
    post(administrator, start_in_s=-1, end_in_s=3600)
    jobs.run_due(force=True)
    assert MaintenanceNotice.objects.get().state == NoticeState.ACTIVE
    assert system_overview().status == "maintenance"


def test_edit_in_place_reannounces_the_same_window(administrator):
    notice = post(administrator)
    updated = maintenance_notice_update(
        notice_id=notice.id,
        service=notice.service,
        start_time=notice.start_time,
        end_time=notice.end_time + timedelta(hours=1),
        description="Longer upgrade",
    )
    assert updated.description == "Longer upgrade"
    first, second = system_health_events()
    assert second["start_time"] == first["start_time"] and second["end_time"] > first["end_time"]
    assert second["description"] == "Longer upgrade"


def test_moving_a_window_withdraws_the_old_one_first(administrator):
    notice = post(administrator)
    old_start = system_health_events()[0]["start_time"]
    maintenance_notice_update(
        notice_id=notice.id, service="market_data", description="Moved", **window(7200, 9000)
    )
    _, withdrawn, announced = system_health_events()
    assert_event_shape(withdrawn)
    assert withdrawn["service"] == "matching_engine" and withdrawn["start_time"] == withdrawn["end_time"] == old_start
    assert withdrawn["description"] == "Cancelled: Engine upgrade"
    assert announced["service"] == "market_data" and announced["description"] == "Moved"


def test_a_started_window_keeps_its_start_but_may_end_earlier(administrator):
    notice = post(administrator, start_in_s=-60, end_in_s=3600)
    with pytest.raises(ServiceError) as refused:
        maintenance_notice_update(notice_id=notice.id, service="market_data", description="x", **window(-60, 3600))
    assert refused.value.code == "NOTICE_STARTED"
    maintenance_notice_update(
        notice_id=notice.id, service=notice.service, start_time=notice.start_time,
        end_time=timezone.now() + timedelta(seconds=5), description="Shorter",
    )
    assert MaintenanceNotice.objects.get().description == "Shorter"


def test_cancelling_a_scheduled_window_withdraws_it(administrator):
    notice = post(administrator)
    cancelled = maintenance_notice_cancel(notice_id=notice.id)
    assert cancelled.state == NoticeState.CANCELLED
    _, withdrawn = system_health_events()
    assert withdrawn["type"] == "maintenance_notice" and withdrawn["end_time"] == withdrawn["start_time"]
    assert maintenance_windows_advance(now=notice.start_time) == 0  # a cancelled window never starts
    with pytest.raises(ServiceError) as again:
        maintenance_notice_cancel(notice_id=notice.id)
    assert again.value.code == "NOTICE_CLOSED" and again.value.status_code == 409


def test_cancelling_an_active_window_returns_the_service_at_once(administrator):
    notice = post(administrator, start_in_s=-1, end_in_s=3600)
    maintenance_windows_advance()
    maintenance_notice_cancel(notice_id=notice.id)
    withdrawn, recovered, status = system_health_events()[-3:]
    assert withdrawn["type"] == "maintenance_notice" and withdrawn["end_time"] == withdrawn["start_time"]
    assert recovered["type"] == "service_degraded" and recovered["status"] == "operational"
    assert status["status"] == "operational" and status["all_services_healthy"] is True


def test_unknown_notice_is_404():
    with pytest.raises(ServiceError) as missing:
        maintenance_notice_cancel(notice_id="mnt_0000000000000000")
    assert (missing.value.code, missing.value.status_code) == ("NOTICE_NOT_FOUND", 404)


def test_service_status_set_announces_a_change_only(administrator):
    service_status_set(service="settlement_service", status="degraded", message="Slow ledger")
    degraded, status = system_health_events()
    assert_event_shape(degraded)
    assert_event_shape(status)
    assert degraded == {**degraded, "service": "settlement_service", "status": "degraded", "message": "Slow ledger"}
    assert status["status"] == "degraded" and status["all_services_healthy"] is False
    service_status_set(service="settlement_service", status="degraded", message="Slow ledger")
    assert len(system_health_events()) == 2
    service_status_set(service="market_data", status="down", message="Feed lost")
    assert system_health_events()[-1]["status"] == "down"


@pytest.mark.parametrize("field, value", [("service", "toaster"), ("status", "maintenance"), ("message", "m" * 501)])
def test_service_status_set_refuses_bad_input(field, value):
    arguments = {"service": "market_data", "status": "degraded", "message": "", field: value}
    with pytest.raises(ValidationError):
        service_status_set(**arguments)
    assert system_health_events() == []


def test_overall_status_precedence(administrator):
    assert (system_overview().status, system_overview().all_services_healthy) == ("operational", True)
    service_status_set(service="market_data", status="degraded")
    assert system_overview().status == "degraded"
    post(administrator, start_in_s=-1, end_in_s=60)
    assert system_overview().status == "maintenance"
    service_status_set(service="compliance_service", status="down")
    assert system_overview().status == "down"


def test_probes_never_override_an_administrator(administrator):
    service_status_set(service="market_data", status="down", message="Feed vendor outage")
    assert service_status_observe(service="market_data", status="operational", message="ok") is False
    assert ServiceStatus.objects.get(pk="market_data").status == "down"
    service_status_set(service="market_data", status="operational")
    assert service_status_observe(service="market_data", status="degraded", message="slow") is True
    row = ServiceStatus.objects.get(pk="market_data")
    assert (row.status, row.source) == ("degraded", StatusSource.PROBE)
    assert service_status_observe(service="market_data", status="degraded", message="slower") is False


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runners_move_a_window_once(administrator):
    post(administrator, start_in_s=-1, end_in_s=3600)
    barrier = Barrier(2)

    def runner() -> int:
        barrier.wait()
        try:
            return maintenance_windows_advance()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        moved = sorted(pool.map(lambda _: runner(), range(2)))
    assert moved == [0, 1]
    assert [e["type"] for e in system_health_events()] == ["maintenance_notice", "service_degraded", "system_status"]
