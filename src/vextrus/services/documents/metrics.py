"""Business metrics of the document generator."""

from __future__ import annotations

from vextrus.kit.metrics import counter, histogram

RENDERED = counter(
    "documents_rendered_total",
    "Documents rendered and stored, by template, format and mode (sync, async)",
    ["template", "format", "mode"],
)
FAILURES = counter(
    "documents_render_failures_total",
    "Renders that failed, by template and reason (template_error, storage, internal)",
    ["template", "reason"],
)
RENDER_SECONDS = histogram(
    "documents_render_seconds",
    "Time to turn a template and its data into PDF or XLSX bytes, by format",
    ["format"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0),
)
