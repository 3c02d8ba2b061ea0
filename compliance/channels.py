from streams.registry import broadcast_channel, register

from .events import COMPLIANCE_EVENTS

register(
    broadcast_channel(
        COMPLIANCE_EVENTS, "compliance events", allowed=lambda principal: principal.sees_every_account
    )
)
