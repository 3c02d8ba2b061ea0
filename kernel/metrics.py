"""Prometheus series that the kernel's own machinery feeds: background jobs and request rate limits.

Every gateway series is named `cantondex_*` and lives in prometheus_client's default registry, which
/metrics exposes (operations/monitoring.py). The apps above declare their own series next to the code
that records them (streams/metrics.py, operations/metrics.py, trading/metrics.py, auctions/metrics.py).
Labelled children used on a hot path are looked up once here, not per event. The job's label is
`job_name`: Prometheus gives every scraped series a `job` label of its own (the scrape job).
"""


from prometheus_client import Counter, Histogram, disable_created_metrics

disable_created_metrics()  # no `_created` twin of every counter and histogram: Prometheus does not need them

JOB_RUNS = Counter("cantondex_job_runs", "Background job runs, by job (failed ones included)", ["job_name"])
JOB_FAILURES = Counter("cantondex_job_failures", "Background job runs that raised, by job", ["job_name"])
JOB_DURATION = Histogram(
    "cantondex_job_duration_seconds",
    "Time one background job run took, by job",
    ["job_name"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

RATE_LIMIT_HITS = Counter(
    "cantondex_rate_limit_hits", "Requests refused by a rate limit: REST calls (429) and WebSocket messages (RATE_LIMITED)", ["transport"]
)
REST_RATE_LIMIT_HITS = RATE_LIMIT_HITS.labels(transport="rest")
WEBSOCKET_RATE_LIMIT_HITS = RATE_LIMIT_HITS.labels(transport="websocket")


def record_job_run(name: str, duration_s: float, ok: bool) -> None:
    """One run of the job `name` ended after `duration_s` seconds; `ok` is False when it raised."""
    JOB_RUNS.labels(job_name=name).inc()
    JOB_DURATION.labels(job_name=name).observe(duration_s)
    if not ok:
        JOB_FAILURES.labels(job_name=name).inc()
