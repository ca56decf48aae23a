"""The pure rules of the file service as tables: what content is, whether an upload is accepted,
safe names and Content-Disposition headers, signed links, storage URLs."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from files_support import (
    MSI_CLSID,
    apk,
    disposition_filename,
    docx,
    elf_program,
    jar,
    ole2,
    pdf,
    png,
    windows_program,
    xlsx,
    zip_of,
)

from vextrus.services.files.names import ascii_fallback, clean_filename, content_disposition
from vextrus.services.files.signing import LinkClaims, LinkError, sign, verify
from vextrus.services.files.sniff import decide, inspect_container, sniff_head
from vextrus.services.files.storage import LocalTarget, S3Target, parse_storage_url

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def verdict_for(tmp_path: Path, content: bytes, declared: str | None, name: str) -> tuple[bool, str, str]:
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    sniffed = inspect_container(path, sniff_head(content[:8192]))
    verdict = decide(sniffed, declared, name)
    return verdict.accepted, verdict.content_type, verdict.code


@pytest.mark.parametrize(
    ("content", "declared", "name", "accepted", "stored_type", "code"),
    [
        # accepted: the stored type is what the bytes are
        (pdf(), PDF_TYPE, "চুক্তিপত্র.pdf", True, PDF_TYPE, ""),
        (pdf(), "application/octet-stream", "contract.pdf", True, PDF_TYPE, ""),
        (pdf(), None, "no-extension", True, PDF_TYPE, ""),
        (png(), "image/png", "site.png", True, "image/png", ""),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 64, "image/jpg", "photo.JPG", True, "image/jpeg", ""),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp", "a.webp", True, "image/webp", ""),
        (docx(), DOCX_TYPE, "boq.docx", True, DOCX_TYPE, ""),
        (xlsx(), "application/zip", "boq.xlsx", True, XLSX_TYPE, ""),
        (zip_of({"a.txt": b"hello"}), "application/zip", "photos.zip", True, "application/zip", ""),
        ("ক্রমিক,বিবরণ\n1,সিমেন্ট\n".encode(), "text/csv", "boq.csv", True, "text/csv; charset=utf-8", ""),
        (b"a,b\n1,2\n", "application/vnd.ms-excel", "boq.csv", True, "text/csv; charset=utf-8", ""),
        (b"site notes\n", "text/plain", "notes.txt", True, "text/plain; charset=utf-8", ""),
        (b"MZ Traders price list\n", "text/plain", "mz.txt", True, "text/plain; charset=utf-8", ""),
        (b"BMW spare parts\n", None, "parts.txt", True, "text/plain; charset=utf-8", ""),
        (b"AC1032\x00\x00\x00" + b"\x01" * 64, None, "plan.dwg", True, "image/vnd.dwg", ""),
        (ole2(b"\x00" * 16, "WordDocument"), "application/msword", "old.doc", True, "application/msword", ""),
        # executables, whatever they are called or declared as
        (windows_program(), PDF_TYPE, "invoice.pdf", False, "", "executable_refused"),
        (windows_program(), "application/octet-stream", "setup", False, "", "executable_refused"),
        (elf_program(), "image/png", "photo.png", False, "", "executable_refused"),
        (b"#!/bin/sh\nrm -rf /\n", "text/plain", "readme.txt", False, "", "executable_refused"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x34", None, "data.bin", False, "", "executable_refused"),
        (jar(), "application/zip", "documents.zip", False, "", "executable_refused"),
        (apk(), "application/zip", "app.zip", False, "", "executable_refused"),
        (ole2(MSI_CLSID), "application/msword", "letter.doc", False, "", "executable_refused"),
        # active content
        (b"<html><script>alert(1)</script></html>", "text/plain", "note.txt", False, "", "active_content_refused"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            None,
            "logo.xml",
            False,
            "",
            "active_content_refused",
        ),
        (
            zip_of({"[Content_Types].xml": b"", "word/vbaProject.bin": b""}),
            None,
            "m.docx",
            False,
            "",
            "active_content_refused",
        ),
        # names and declarations that disagree with the content
        (pdf(), PDF_TYPE, "invoice.exe", False, "", "dangerous_extension"),
        (b"plain text", "text/plain", "run.bat", False, "", "dangerous_extension"),
        (png(), PDF_TYPE, "scan.pdf", False, "", "type_mismatch"),
        (png(), "image/png", "scan.pdf", False, "", "type_mismatch"),
        (pdf(), "image/jpeg", "scan.pdf", False, "", "type_mismatch"),
        (b"just text", "text/plain", "photo.png", False, "", "type_mismatch"),
        (docx(), "application/pdf", "boq.docx", False, "", "type_mismatch"),
        # unknown binary content
        (bytes(range(256)) * 4, None, "blob.dat", False, "", "unknown_type"),
    ],
)
def test_uploads_are_judged_by_content(
    tmp_path: Path, content: bytes, declared: str | None, name: str, accepted: bool, stored_type: str, code: str
) -> None:
    assert verdict_for(tmp_path, content, declared, name) == (accepted, stored_type, code)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("চুক্তিপত্র-২০২৫.pdf", "চুক্তিপত্র-২০২৫.pdf"),
        ("ক্ষ্মা\u200dর নকশা.pdf", "ক্ষ্মা\u200dর নকশা.pdf"),  # joiners shape Bengali: kept
        ("C:\\Users\\rahim\\Desktop\\bill.pdf", "bill.pdf"),
        ("../../etc/passwd", "passwd"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # right-to-left override removed
        ('a"b<c>d|e?.txt', "abcde.txt"),
        ("  .hidden  file.txt ", "hidden file.txt"),
        ("tab\there\nnew.txt", "tab here new.txt"),
        ("e\u0301te.txt", "\u00e9te.txt"),  # NFC
        ("...", ""),
        ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
    ],
)
def test_names_are_cleaned_but_keep_what_people_wrote(given: str, stored: str) -> None:
    assert clean_filename(given) == stored


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("Invoice 12.pdf", "Invoice 12.pdf"),
        ("কর চালানপত্র ৬.৩.pdf", "file.pdf"),
        ("Dhaka অফিস.pdf", "Dhaka _.pdf"),
        ("Crème brûlée.txt", "Creme brulee.txt"),
        ("বিল", "file"),
    ],
)
def test_content_disposition_survives_any_name(name: str, fallback: str) -> None:
    header = content_disposition(name)
    assert header.startswith('attachment; filename="')
    assert ascii_fallback(name) == fallback
    assert f'filename="{fallback}"' in header
    assert disposition_filename(header) == name
    assert all(ord(char) < 128 for char in header)  # headers are ASCII; the name travels percent-encoded


def test_signed_links_cannot_be_forged_or_outlive_their_expiry() -> None:
    key = b"k" * 32
    claims = LinkClaims(uuid.uuid4(), uuid.uuid4(), 2, expires=1_000, disposition="inline")
    token = sign(claims, key)
    assert verify(token, key, now=999) == claims
    signature = token.partition(".")[2]
    cases = {
        "expired": (token, key, 1_000),
        "signature": (token, b"x" * 32, 0),
        "malformed": ("not-a-token", key, 0),
        "non-ascii": (token.partition(".")[0] + ".Ô\x8bÊ", key, 0),
    }
    for reason, (value, with_key, now) in cases.items():
        with pytest.raises(LinkError) as raised:
            verify(value, with_key, now=now)
        assert raised.value.reason == ("malformed" if reason == "non-ascii" else reason)
    forged = sign(LinkClaims(uuid.uuid4(), claims.file_id, 2, expires=10**10, disposition="inline"), b"y" * 32)
    with pytest.raises(LinkError):
        verify(forged.partition(".")[0] + "." + signature, key, now=0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file://./var/files", LocalTarget(Path("./var/files"))),
        ("file:///srv/vextrus/files", LocalTarget(Path("/srv/vextrus/files"))),
        (
            "s3://vextrus-prod/erp?region=ap-south-1",
            S3Target("vextrus-prod", "erp/", None, "ap-south-1", None, None, False),
        ),
        (
            "s3://AK:s%2Fecret@files-bucket?endpoint=http://minio:9000",
            S3Target("files-bucket", "", "http://minio:9000", "us-east-1", "AK", "s/ecret", True),
        ),
    ],
)
def test_storage_is_chosen_by_url(url: str, expected: object) -> None:
    assert parse_storage_url(url) == expected


@pytest.mark.parametrize(
    "url",
    ["ftp://host/x", "s3://", "s3://UPPER", "s3://bucket?endpoint=minio:9000", "s3://bucket?colour=red", "file://"],
)
def test_bad_storage_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_storage_url(url)
