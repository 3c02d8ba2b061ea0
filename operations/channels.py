from streams.publishing import stream_sequence
from streams.registry import broadcast_channel, register

from .events import CHANNEL, maintenance_notice_event, service_degraded_event, system_status_event
from .models import HealthStatus
from .selectors import system_overview


def system_health_snapshot(key: str) -> tuple[list[dict], int]:
    """What a late joiner needs: system_status, every service not operational, every active or upcoming notice."""
    sequence = stream_sequence(channel=CHANNEL)  # read before the state: later events apply on top
    overview = system_overview()
    events = [system_status_event(overview, timestamp=overview.as_of)]
    events += [
        service_degraded_event(view, timestamp=view.since)
        for view in overview.services
        if view.status != HealthStatus.OPERATIONAL
    ]
    events += [maintenance_notice_event(notice, timestamp=notice.updated_at) for notice in overview.notices]
    return events, sequence


register(broadcast_channel(CHANNEL, "system health updates", snapshot=system_health_snapshot))
