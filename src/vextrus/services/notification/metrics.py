"""Business metrics of the notification service."""

from __future__ import annotations

from vextrus.kit.metrics import counter, histogram

SENT = counter("notifications_sent_total", "Messages delivered, by channel (email, sms, in_app)", ["channel"])
FAILED = counter(
    "notifications_failed_total",
    "Deliveries that failed for good (permanent error or attempts exhausted), by channel and reason",
    ["channel", "reason"],
)
RETRIED = counter(
    "notification_retries_total",
    "Failed attempts that will be tried again after a backoff, by channel and reason",
    ["channel", "reason"],
)
DELIVERY_SECONDS = histogram(
    "notification_delivery_seconds",
    "Time to hand one message to its channel (SMTP transaction, SMS gateway call, inbox write), by channel",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ROLE_FAN_OUT_USERS = histogram(
    "notification_role_fan_out_users",
    "Users a role's workflow notification was expanded into (one expansion per role delivery)",
    [],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000),
)
ROLE_FAN_OUT_CAPPED = counter(
    "notification_role_fan_out_capped_total",
    "Role expansions cut at role_fan_out_max_users (more users hold the role than are told)",
    [],
)
