"""Prometheus metrics every service exposes on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "vanguard_http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "vanguard_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
COMMANDS = Counter("vanguard_commands_total", "Commands handled", ["service", "command", "outcome"])
EVENTS_RECORDED = Counter("vanguard_events_recorded_total", "Events recorded", ["service"])
EVENTS_PUBLISHED = Counter("vanguard_events_published_total", "Events published to Kafka", ["service", "topic"])
RELAY_LAG = Gauge("vanguard_relay_lag_events", "Events recorded but not yet published", ["service", "topic"])
EVENTS_CONSUMED = Counter("vanguard_events_consumed_total", "Events consumed", ["service", "source", "outcome"])
CONSUMER_LAG = Gauge("vanguard_consumer_lag_seconds", "Age of the last applied event", ["service"])
CONSUMER_ERRORS = Counter("vanguard_consumer_errors_total", "Events that failed in a handler", ["service"])
DEAD_LETTERS = Counter(
    "vanguard_dead_letters_total",
    "Events kept as dead letters: a handler failed, the event could not be stored, or the record was no envelope",
    ["service", "source", "reason"],
)
CONSUMER_RETRIES = Counter(
    "vanguard_consumer_batch_retries_total",
    "Batches that failed as a whole and were retried event by event",
    ["service"],
)
DEADLINE_FAILURES = Counter(
    "vanguard_deadline_failures_total",
    "Supervisions whose deadlines could not be worked out (follow) or warnings that could not be raised (raise)",
    ["stage"],
)
CHAIN_POSITION = Gauge(
    "vanguard_audit_chain_position", "The last event position the hash chain covers", ["service", "instance"]
)
CHAIN_CHECKPOINTS = Counter(
    "vanguard_audit_checkpoints_total", "Signed checkpoints recorded by the chain follower", ["service", "instance"]
)
CHAIN_UNSIGNED = Gauge(
    "vanguard_audit_unsigned_events",
    "Events the chain follower has hashed but no signed checkpoint covers yet",
    ["service", "instance"],
)
