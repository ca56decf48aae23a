"""Decision models shipped with Vextrus, installed per tenant (and then edited by the tenant).

Each template is two files in this folder: ``<key>.json``, a plain GoRules JDM document (it opens
in the GoRules editor), and ``<key>.meta.json``: name, description, optional ``effective_from``
of the first published version, and the test cases installed with it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class TemplateTest:
    name: str
    description: str | None
    input: dict[str, Any]
    expected: Any


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    name_bn: str
    description: str
    content: dict[str, Any]
    tests: tuple[TemplateTest, ...]
    effective_from: dt.datetime | None


def _load(meta_path: Path) -> Template:
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    key = meta["key"]
    content = json.loads((FOLDER / f"{key}.json").read_text(encoding="utf-8"))
    effective_from = meta.get("effective_from")
    return Template(
        key=key,
        name=meta["name"],
        name_bn=meta["name_bn"],
        description=meta["description"],
        content=content,
        tests=tuple(
            TemplateTest(item["name"], item.get("description"), item["input"], item["expected"])
            for item in meta.get("tests", ())
        ),
        effective_from=dt.datetime.fromisoformat(effective_from) if effective_from else None,
    )


@cache
def templates() -> dict[str, Template]:
    """Every template by key, in key order."""
    loaded = [_load(path) for path in sorted(FOLDER.glob("*.meta.json"))]
    return {item.key: item for item in loaded}
