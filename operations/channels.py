from streams.registry import broadcast_channel, register

register(broadcast_channel("system_health", "system health updates"))
