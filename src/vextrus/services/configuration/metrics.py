"""Business metrics of the configuration service."""

from __future__ import annotations

from vextrus.kit.metrics import counter

SETTING_UPDATES = counter(
    "configuration_setting_updates_total",
    "Tenant setting changes committed to the session, by setting key and action (updated, reset)",
    ["key", "action"],
)
FLAG_CHANGES = counter(
    "configuration_flag_changes_total",
    "Feature flag definition and override changes, by action",
    ["action"],
)
FLAG_EVALUATIONS = counter(
    "configuration_flag_evaluations_total",
    "Feature flag evaluations, by flag and result (override, disabled, rollout, not_in_rollout)",
    ["flag", "result"],
)
CACHE_REQUESTS = counter(
    "configuration_cache_requests_total",
    "Look-ups of the effective-settings cache, by result (hit, miss)",
    ["result"],
)
CACHE_HITS = CACHE_REQUESTS.labels("hit")
CACHE_MISSES = CACHE_REQUESTS.labels("miss")
