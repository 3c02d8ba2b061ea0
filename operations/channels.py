from streams.events import Event
from streams.publishing import stream_sequence
from streams.registry import broadcast_channel, register

from .events import SYSTEM_HEALTH, MaintenanceNotice, ServiceDegraded, SystemStatus
from .models import HealthStatus
from .selectors import system_overview


def system_health_snapshot(key: str) -> tuple[list[Event], int]:
    """What a late joiner needs: system_status, every service not operational, every active or upcoming notice."""
    sequence = stream_sequence(channel=SYSTEM_HEALTH)  # read before the state: later events apply on top
    overview = system_overview()
    events: list[Event] = [SystemStatus.of(overview, timestamp=overview.as_of)]
    events += [
        ServiceDegraded.of(view, timestamp=view.since)
        for view in overview.services
        if view.status != HealthStatus.OPERATIONAL
    ]
    events += [MaintenanceNotice.of(notice, timestamp=notice.updated_at) for notice in overview.notices]
    return events, sequence


register(broadcast_channel(SYSTEM_HEALTH, "system health updates", snapshot=system_health_snapshot))
