"""Demo data: a few files of the demo tenants, attached to the entities they document.

Idempotent: a file is stored only when the tenant does not hold its content yet (its SHA-256).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from vextrus.demo import DEMO_TENANTS, demo_id
from vextrus.kit.service import SeedContext
from vextrus.kit.tenancy import Principal, acting_as
from vextrus.services.files import service
from vextrus.services.files.repository import BlobRepository
from vextrus.services.files.schemas import EntityRef


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour (stands in for a site photograph)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _pdf(title: str) -> bytes:
    """A one-page PDF (stands in for a signed contract scan)."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 18 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj".encode() + body + b"endobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


BOQ_CSV = (
    "ক্রমিক,বিবরণ (Description),একক (Unit),পরিমাণ (Qty),দর (Rate BDT),মোট (Amount BDT)\n"
    "1,Cement (Portland Composite) 50 kg bag,bag,1200,560.00,672000.00\n"
    "2,MS Rod 60 grade 16 mm,ton,18,98500.00,1773000.00\n"
    "3,Brick (1st class),pcs,85000,13.50,1147500.00\n"
    "4,Sylhet sand (FM 2.5),cft,9000,58.00,522000.00\n"
).encode()


@dataclass(frozen=True)
class DemoFile:
    tenant: str
    name: str
    content_type: str
    content: bytes
    entity_type: str
    entity_key: str


DEMO_FILES: tuple[DemoFile, ...] = (
    DemoFile(
        "meghna-group",
        "গুলশান টাওয়ার - সাইট ছবি.png",
        "image/png",
        _png(64, 48, (180, 140, 90)),
        "projects.project",
        "meghna-gulshan-tower",
    ),
    DemoFile(
        "meghna-group",
        "BOQ - Gulshan Tower Phase 1.csv",
        "text/csv",
        BOQ_CSV,
        "projects.project",
        "meghna-gulshan-tower",
    ),
    DemoFile(
        "meghna-group",
        "Contract - Karnaphuli Steel Supply 2025-26.pdf",
        "application/pdf",
        _pdf("Supply contract: Karnaphuli Steel Mills Ltd. - Meghna Builders Ltd., FY2025-26"),
        "master-data.vendor",
        "karnaphuli-steel",
    ),
    DemoFile(
        "padma-developers",
        "পদ্মা রেসিডেন্সি - নকশা অনুমোদন.pdf",
        "application/pdf",
        _pdf("RDA building plan approval - Padma Residency, Rajshahi"),
        "projects.project",
        "padma-residency",
    ),
)


async def _chunks(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def seed(ctx: SeedContext) -> None:
    runtime = ctx.runtime
    tenants = {tenant.slug: tenant for tenant in DEMO_TENANTS}
    for item in DEMO_FILES:
        tenant = tenants[item.tenant]
        admin = tenant.users[0]
        principal = Principal(subject=admin.id, tenant_id=tenant.id, permissions=frozenset({"files.*"}))
        with acting_as(principal):
            async with runtime.database.transaction() as session:
                present = await BlobRepository(session).by_sha(hashlib.sha256(item.content).hexdigest())
            if present is not None:
                continue
            await service.upload(
                runtime,
                principal,
                _chunks(item.content),
                service.UploadRequest(
                    name=item.name,
                    declared_type=item.content_type,
                    entity=EntityRef(
                        entity_type=item.entity_type, entity_id=str(demo_id(item.entity_type, item.entity_key))
                    ),
                ),
            )
