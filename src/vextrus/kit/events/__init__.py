"""Events: CloudEvents envelope, transactional outbox, relay, transports and consumers (DESIGN.md §4)."""

from vextrus.kit.events.envelope import Envelope
from vextrus.kit.events.outbox import record_event

__all__ = ["Envelope", "record_event"]
