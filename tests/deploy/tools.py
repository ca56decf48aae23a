"""Shared helpers of the deployment tests: paths, the registry's components, external tools.

The tools (promtool, hadolint, helm-python-sdk, kubernetes-validate) are skipped when missing on a
developer machine, and required (the test fails) when ``VEXTRUS_REQUIRE_PROMTOOL=1`` or
``VEXTRUS_REQUIRE_DEPLOY_TOOLS=1`` say so, as CI does.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "vextrus"
ENVIRONMENTS = ("dev", "staging", "production")
# Rendered manifests are validated against this Kubernetes version (kubernetes-validate ships
# schemas for 1.25 to 1.37); the chart declares kubeVersion >=1.27.
KUBERNETES_VERSION = "1.32"
CUSTOM_RESOURCES = {"ServiceMonitor", "PrometheusRule"}  # no schema offline: checked structurally


def _required(variable: str) -> bool:
    return os.environ.get(variable, "") in ("1", "true", "yes")


def missing(what: str, variable: str) -> None:
    if _required(variable):
        pytest.fail(f"{what} is required ({variable}=1) but missing", pytrace=False)
    pytest.skip(f"{what} not installed")


def binary(name: str, variable: str = "VEXTRUS_REQUIRE_DEPLOY_TOOLS") -> str:
    """A tool on PATH or beside the running Python (a venv's bin/)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        missing(name, variable)
    assert found is not None
    return found


def module(name: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        missing(f"the Python package {package}", "VEXTRUS_REQUIRE_DEPLOY_TOOLS")
        raise


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def environment_values(environment: str) -> dict[str, Any]:
    values: dict[str, Any] = load_yaml(CHART / f"values-{environment}.yaml")
    return values


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` with nothing set: the defaults."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def runbook_anchors() -> set[str]:
    """GitHub-style anchors of every heading of docs/operations.md."""
    anchors = set()
    for line in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"[^\w\- ]", "", title)
            anchors.add(title.replace(" ", "-"))
    return anchors


def cli_command_exists(arguments: list[str]) -> bool:
    """Whether ``vextrus <arguments>`` names a command of the CLI (options after it are not checked)."""
    import click
    import typer.main

    from vextrus.cli import app

    command: Any = typer.main.get_command(app)
    for token in arguments:
        if token.startswith("-"):
            break
        if not isinstance(command, click.Group):
            break
        sub = command.commands.get(token)
        if sub is None:
            return False
        command = sub
    return not isinstance(command, click.Group)
