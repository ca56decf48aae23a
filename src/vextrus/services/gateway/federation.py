"""Apollo Federation in distributed mode: each service's subgraph SDL, and their composition into
a supergraph with Apollo's own composition library (``federation/compose.mjs``, run with Node).

``python -m vextrus.services.gateway.federation --out supergraph.graphql`` composes every
registered service with GraphQL (URLs from ``VEXTRUS_SERVICE_URLS``, else ``http://<name>:<port>``)
and writes the supergraph the federation gateway (``federation/gateway.mjs``) serves; it exits 1
and prints the composition errors when the subgraphs do not compose.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vextrus.kit.graphql import build_schema
from vextrus.kit.service import Service, load_registry
from vextrus.kit.settings import Settings, load_settings

SDL_QUERY = "{ _service { sdl } }"


@dataclass(frozen=True)
class Subgraph:
    name: str
    url: str
    sdl: str


@dataclass(frozen=True)
class Composition:
    supergraph: str | None
    errors: list[dict[str, str]] = field(default_factory=list)
    hints: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.supergraph is not None and not self.errors


class FederationToolError(RuntimeError):
    """Node or the federation packages are missing (``npm ci --prefix federation``)."""


async def subgraph_sdl(service: Service, settings: Settings) -> str:
    """The service's subgraph SDL exactly as it answers ``{ _service { sdl } }``."""
    if service.graphql is None:
        raise ValueError(f"{service.name} has no GraphQL")
    schema = build_schema([service.graphql], settings)
    assert schema is not None
    result = await schema.execute(SDL_QUERY)
    if result.errors or not result.data:
        raise RuntimeError(f"{service.name}: {result.errors}")
    sdl: str = result.data["_service"]["sdl"]
    return sdl


def subgraph_url(service: Service, service_urls: Mapping[str, str]) -> str:
    base = service_urls.get(service.name) or f"http://{service.name}:{service.port}"
    return base.rstrip("/") + "/graphql"


async def subgraphs(services: Iterable[Service], settings: Settings) -> list[Subgraph]:
    return [
        Subgraph(service.name, subgraph_url(service, settings.service_urls), await subgraph_sdl(service, settings))
        for service in services
        if service.graphql is not None
    ]


def compose(graphs: Sequence[Subgraph], federation_dir: Path, timeout: float = 120.0) -> Composition:
    """Compose with ``@apollo/composition`` (Node); errors come back as data, not exceptions."""
    node = shutil.which("node")
    script = federation_dir / "compose.mjs"
    if node is None:
        raise FederationToolError("node is not installed (Node 20 or later is needed to compose the supergraph)")
    if not (federation_dir / "node_modules" / "@apollo" / "composition").is_dir():
        raise FederationToolError(f"run `npm ci --prefix {federation_dir}` first")
    payload = json.dumps([{"name": graph.name, "url": graph.url, "sdl": graph.sdl} for graph in graphs])
    completed = subprocess.run(  # noqa: S603 (a fixed script of this repository)
        [node, str(script)], input=payload, capture_output=True, text=True, timeout=timeout, check=False
    )
    try:
        result = json.loads(completed.stdout)
    except ValueError:
        raise FederationToolError(f"compose.mjs failed: {completed.stderr.strip()[-2000:]}") from None
    return Composition(result.get("supergraphSdl"), result.get("errors", []), result.get("hints", []))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compose the registered services' subgraphs into a supergraph.")
    parser.add_argument("--out", type=Path, help="write the supergraph SDL here (default: stdout)")
    parser.add_argument("--federation-dir", type=Path, default=Path("federation"))
    args = parser.parse_args(argv)
    settings = load_settings()
    graphs = asyncio.run(subgraphs(load_registry(), settings))
    composition = compose(graphs, args.federation_dir)
    if not composition.ok:
        for error in composition.errors:
            print(f"{error.get('code')}: {error.get('message')}", file=sys.stderr)
        return 1
    assert composition.supergraph is not None
    if args.out:
        args.out.write_text(composition.supergraph)
        print(f"supergraph of {', '.join(graph.name for graph in graphs)} written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(composition.supergraph)
    return 0


if __name__ == "__main__":
    sys.exit(main())
