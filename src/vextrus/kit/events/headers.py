"""Names of the message headers the event backbone reads and writes (docs/events.md).

The envelope travels whole in the message body (CloudEvents structured mode); the headers repeat
what a consumer needs before parsing it (id, type, tenant, trace) and carry operator intent
(replays, requeues) and dead-letter details.
"""

CONTENT_TYPE = "content-type"
CLOUDEVENTS_JSON = "application/cloudevents+json; charset=utf-8"
ID = "ce_id"
TYPE = "ce_type"
SOURCE = "ce_source"
TENANT = "tenantid"
TRACEPARENT = "traceparent"

# Set on copies an operator queued again: `vextrus events replay` / `vextrus events dlq requeue`.
REPLAY = "vextrus-replay"
REQUEUE = "vextrus-requeue"
# Consumers (comma-separated names, or "*") that run their handler even if their inbox holds the event.
BYPASS_INBOX = "vextrus-bypass-inbox"

# On messages in `<topic>.dlq`: which consumer gave up, why, after how many attempts, from where.
DLQ_CONSUMER = "vextrus-dlq-consumer"
DLQ_ERROR = "vextrus-dlq-error"
DLQ_ATTEMPTS = "vextrus-dlq-attempts"
DLQ_SOURCE = "vextrus-dlq-source"
DLQ_FAILED_AT = "vextrus-dlq-failed-at"

# Copies that are not original events: a replay reads past them.
COPY_MARKERS = (REPLAY, REQUEUE, DLQ_CONSUMER)
