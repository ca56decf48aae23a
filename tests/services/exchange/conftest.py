"""The import-export tests run on the suite's ``platform`` (every registered service, SQLite and
PostgreSQL), where the service keeps its files under the test's directory and sends batches of 40
rows (tests/conftest.py ``service_settings_for``), so a small file already spans several batches.
Tests that need other limits build their own app with ``exchange_support.running_platform``."""
