"""Fixtures of the gateway tests: a shared signing key and a probe service behind the gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_support import Process, issuer_for, probe_process

from vextrus.kit.security import TokenIssuer


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the signing key of this module's servers lives (created before any server starts)."""
    directory = tmp_path_factory.mktemp("keys")
    issuer_for(directory)
    return directory


@pytest.fixture(scope="module")
def issuer(keys: Path) -> TokenIssuer:
    return issuer_for(keys)


@pytest.fixture(scope="module")
def probe_server(tmp_path_factory: pytest.TempPathFactory, keys: Path) -> Iterator[Process]:
    server = probe_process(tmp_path_factory.mktemp("probe"), keys).start()
    yield server
    server.stop()


@pytest.fixture
def probe(probe_server: Process) -> Process:
    """The probe upstream, running (restarted if a previous test killed it)."""
    if probe_server.process is None or probe_server.process.poll() is not None:
        probe_server.start()
    return probe_server
