"""Business metrics of the rules engine.

``key`` is the rule key (``bd.vat.rate``): tenants share the template keys, so the label stays
bounded as long as tenants do not invent thousands of rules.
"""

from __future__ import annotations

from vextrus.kit.metrics import counter, histogram

EVALUATIONS = counter(
    "rules_evaluation_total",
    "Rule evaluations, by rule key and outcome (ok, error, not_found, no_effective_version)",
    ["key", "outcome"],
)
EVALUATION_DURATION = histogram(
    "rules_evaluation_duration_seconds",
    "Time zen-engine took to evaluate one decision, by rule key",
    ["key"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)
CACHE_HITS = counter("rules_cache_hits_total", "Evaluations served by a compiled model already in memory")
CACHE_MISSES = counter(
    "rules_cache_misses_total", "Evaluations that loaded and compiled a model from the database first"
)
PUBLICATIONS = counter(
    "rules_publish_total", "Rule versions published, by outcome (published, tests_failed)", ["outcome"]
)
