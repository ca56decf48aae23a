"""Process definitions shipped with Vextrus. A tenant gets each one (version 1) the first time it
uses the key, then edits it by publishing new versions. Each file is a definition spec
(:class:`vextrus.services.workflow.definitions.DefinitionSpec`)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from vextrus.services.workflow.definitions import DefinitionSpec

FOLDER = Path(__file__).parent


@cache
def builtin_definitions() -> dict[str, DefinitionSpec]:
    """Every shipped definition by key (validated), in key order."""
    return {
        path.stem: DefinitionSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(FOLDER.glob("*.json"))
    }
