"""Bidding's Prometheus series."""

from prometheus_client import Histogram

from operations.metrics import LATENCY_BUCKETS

BID_SUBMIT_SECONDS = Histogram(
    "cantondex_bid_submit_seconds",
    "Time bid_submit took, from the call to the commit (the auction's lock, checks, reservation; refused bids included)",
    buckets=LATENCY_BUCKETS,
)
