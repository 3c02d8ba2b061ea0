"""Order entry's Prometheus series; the matching engine's own latency is operations.metrics'."""

from prometheus_client import Histogram

from operations.metrics import LATENCY_BUCKETS

ORDER_PLACE_SECONDS = Histogram(
    "cantondex_order_place_seconds",
    "Time order_place took, from the call to the commit (market lock, matching, events; refused orders included)",
    buckets=LATENCY_BUCKETS,
)
