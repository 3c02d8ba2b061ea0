from streams.registry import broadcast_channel, register

register(
    broadcast_channel(
        "compliance_events", "compliance events", allowed=lambda principal: principal.sees_every_account
    )
)
