"""What a file really is, from its bytes: magic numbers, not the name or the declared type.

An upload is accepted only when its content is a known, passive type (PDF, images, office
documents, plain text, ZIP archives, AutoCAD drawings) and neither its declared content type nor
its file name extension claims something else. Executables (Windows PE, ELF, Mach-O, Java
classes and archives, Android packages, MSI installers, scripts with a ``#!`` line, shortcuts,
WebAssembly) and active content (HTML, SVG, XHTML) are refused whatever they are called.

Everything here is pure: :func:`sniff_head` reads the first bytes, :func:`inspect_container`
looks inside a ZIP or OLE2 container on disk, :func:`decide` compares the result with the
declared type and the name. The table of types is data (:data:`TYPES`).
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

HEAD_BYTES = 8192
"""How many leading bytes :func:`sniff_head` needs."""

Kind = Literal["pdf", "image", "office", "text", "archive", "cad"]
KINDS: tuple[Kind, ...] = ("pdf", "image", "office", "text", "archive", "cad")

GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
"""Declared types that claim nothing (browsers send them for unknown extensions)."""


@dataclass(frozen=True)
class FileType:
    """An accepted type: its canonical MIME type, kind, extensions and the declared types that fit."""

    mime: str
    kind: Kind
    extensions: tuple[str, ...]
    aliases: tuple[str, ...] = ()

    def accepts_declared(self, declared: str) -> bool:
        return declared == self.mime or declared in self.aliases

    def accepts_extension(self, extension: str) -> bool:
        return extension in self.extensions


_OFFICE_ZIP_ALIASES = ("application/zip", "application/x-zip-compressed")

TYPES: dict[str, FileType] = {
    item.mime: item
    for item in (
        FileType("application/pdf", "pdf", (".pdf",), ("application/x-pdf",)),
        FileType("image/png", "image", (".png",)),
        FileType("image/jpeg", "image", (".jpg", ".jpeg", ".jpe", ".jfif"), ("image/jpg", "image/pjpeg")),
        FileType("image/gif", "image", (".gif",)),
        FileType("image/webp", "image", (".webp",)),
        FileType("image/tiff", "image", (".tif", ".tiff")),
        FileType("image/bmp", "image", (".bmp",), ("image/x-ms-bmp", "image/x-bmp")),
        FileType("image/heic", "image", (".heic", ".heif"), ("image/heif",)),
        FileType(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "office",
            (".docx",),
            _OFFICE_ZIP_ALIASES,
        ),
        FileType(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "office",
            (".xlsx",),
            _OFFICE_ZIP_ALIASES,
        ),
        FileType(
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "office",
            (".pptx",),
            _OFFICE_ZIP_ALIASES,
        ),
        FileType("application/vnd.oasis.opendocument.text", "office", (".odt",), _OFFICE_ZIP_ALIASES),
        FileType("application/vnd.oasis.opendocument.spreadsheet", "office", (".ods",), _OFFICE_ZIP_ALIASES),
        FileType("application/msword", "office", (".doc",)),
        FileType("application/vnd.ms-excel", "office", (".xls",)),
        FileType("application/vnd.ms-powerpoint", "office", (".ppt",)),
        FileType("application/zip", "archive", (".zip",), ("application/x-zip-compressed", "multipart/x-zip")),
        FileType("image/vnd.dwg", "cad", (".dwg",), ("application/acad", "application/x-dwg", "image/x-dwg")),
        # text: the extension picks the exact type (see TEXT_TYPES); any of these may be declared
        FileType(
            "text/plain",
            "text",
            (".txt", ".text", ".log", ".md", ".ini", ".cfg", ".conf", ".yaml", ".yml"),
            ("text/markdown", "text/x-log", "application/yaml", "text/yaml"),
        ),
        FileType("text/csv", "text", (".csv",), ("text/plain", "application/vnd.ms-excel", "application/csv")),
        FileType("text/tab-separated-values", "text", (".tsv", ".tab"), ("text/plain",)),
        FileType("application/json", "text", (".json",), ("text/plain", "text/json")),
        FileType("application/xml", "text", (".xml",), ("text/xml", "text/plain")),
        FileType("image/vnd.dxf", "cad", (".dxf",), ("application/dxf", "application/x-dxf", "text/plain")),
    )
}

TEXT_BY_EXTENSION: dict[str, str] = {
    extension: item.mime
    for item in TYPES.values()
    if item.kind == "text" or item.mime == "image/vnd.dxf"
    for extension in item.extensions
}

_DANGEROUS = (
    ".exe .dll .com .scr .pif .cpl .sys .drv .ocx .msi .msp .mst .bat .cmd .ps1 .psm1 .vbs .vbe .js "
    ".jse .wsf .wsh .hta .lnk .jar .class .apk .app .dmg .pkg .deb .rpm .sh .bash .run .bin .elf .so "
    ".dylib .reg .inf .scf .url .gadget .msc .appx .msix .xap .wasm .html .htm .xhtml .svg .svgz "
    ".shtml .mht .mhtml .xht .php .asp .aspx .jsp .py .pl .rb .docm .xlsm .pptm .dotm .xltm"
)
DANGEROUS_EXTENSIONS = frozenset(_DANGEROUS.split())
"""Extensions refused whatever the content: programs, scripts, installers, active web content and
macro-enabled office files."""

_ACTIVE_MARKUP = (b"<!doctype html", b"<html", b"<svg", b"<script", b"<xhtml", b"<?xml-stylesheet", b"<iframe")


@dataclass(frozen=True)
class Sniffed:
    """What the leading bytes say: ``family`` (a MIME type, ``zip``, ``ole2``, ``text``, ``unknown``),
    or ``executable``/``active`` with a label for the refusal."""

    family: str
    label: str = ""

    @property
    def refused(self) -> bool:
        return self.family in ("executable", "active")


# (offset, magic, family or MIME type, label) in the order they are tried. Short magics that
# ordinary text may start with ("MZ", "BM", "AC10") count only for content that is not text.
_WEAK = frozenset({b"MZ", b"BM", b"AC10"})
_SIGNATURES: tuple[tuple[int, bytes, str, str], ...] = (
    (0, b"MZ", "executable", "a Windows/DOS program (MZ)"),
    (0, b"\x7fELF", "executable", "a Linux/Unix program (ELF)"),
    (0, b"\xfe\xed\xfa\xce", "executable", "a macOS program (Mach-O)"),
    (0, b"\xfe\xed\xfa\xcf", "executable", "a macOS program (Mach-O)"),
    (0, b"\xce\xfa\xed\xfe", "executable", "a macOS program (Mach-O)"),
    (0, b"\xcf\xfa\xed\xfe", "executable", "a macOS program (Mach-O)"),
    (0, b"\xca\xfe\xba\xbe", "executable", "a Java class or macOS universal program"),
    (0, b"\x00asm", "executable", "a WebAssembly module"),
    (0, b"#!", "executable", "a script (#! line)"),
    (0, b"L\x00\x00\x00\x01\x14\x02\x00", "executable", "a Windows shortcut (.lnk)"),
    (0, b"dex\n", "executable", "an Android program (dex)"),
    (0, b"%PDF-", "application/pdf", ""),
    (0, b"\x89PNG\r\n\x1a\n", "image/png", ""),
    (0, b"\xff\xd8\xff", "image/jpeg", ""),
    (0, b"GIF87a", "image/gif", ""),
    (0, b"GIF89a", "image/gif", ""),
    (0, b"II*\x00", "image/tiff", ""),
    (0, b"MM\x00*", "image/tiff", ""),
    (0, b"BM", "image/bmp", ""),
    (0, b"PK\x03\x04", "zip", ""),
    (0, b"PK\x05\x06", "zip", ""),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2", ""),
    (0, b"AC10", "image/vnd.dwg", ""),
)


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # a multi-byte character cut at the end of the head is still text
        if error.start < len(head) - 3:
            return False
    return True


def sniff_head(head: bytes) -> Sniffed:
    """Classify the first bytes (up to :data:`HEAD_BYTES`) of a file."""
    text = _looks_like_text(head)
    for offset, magic, family, label in _SIGNATURES:
        if magic in _WEAK and text:
            continue
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(family, label)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp")
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heif", b"hevc"):
        return Sniffed("image/heic")
    if head.lstrip()[:1024].find(b"%PDF-") == 0:
        return Sniffed("application/pdf")
    if text:
        text_head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if any(marker in text_head[:2048] for marker in _ACTIVE_MARKUP):
            return Sniffed("active", "active web content (HTML or SVG)")
        return Sniffed("text")
    return Sniffed("unknown")


# OLE2 (Compound File Binary) root-entry class ids of Windows Installer files: .msi, .msp, .mst
_MSI_CLSIDS = frozenset(
    bytes.fromhex(value)
    for value in (
        "84100c0000000000c000000000000046",
        "86100c0000000000c000000000000046",
        "82100c0000000000c000000000000046",
    )
)


def _ole_root_clsid(path: Path) -> bytes | None:
    """The CLSID of an OLE2 file's root directory entry (MS-CFB §2.6), or None if unreadable."""
    try:
        with path.open("rb") as handle:
            header = handle.read(512)
            if len(header) < 512:
                return None
            sector_shift = struct.unpack_from("<H", header, 0x1E)[0]
            first_directory_sector = struct.unpack_from("<I", header, 0x30)[0]
            if sector_shift not in (9, 12) or first_directory_sector >= 0xFFFFFFFA:
                return None
            sector_size = 1 << sector_shift
            handle.seek((first_directory_sector + 1) * sector_size)
            entry = handle.read(128)
    except OSError:
        return None
    return entry[0x50:0x60] if len(entry) == 128 else None


_OLE_BY_STREAM = {
    "WordDocument": "application/msword",
    "Workbook": "application/vnd.ms-excel",
    "Book": "application/vnd.ms-excel",
    "PowerPoint Document": "application/vnd.ms-powerpoint",
}


def _zip_type(names: Iterable[str], read_mimetype: bytes | None) -> Sniffed:
    names = list(names)
    lowered = [name.lower() for name in names]
    if "androidmanifest.xml" in lowered or "classes.dex" in lowered:
        return Sniffed("executable", "an Android package (APK)")
    if "meta-inf/manifest.mf" in lowered and any(name.endswith(".class") for name in lowered):
        return Sniffed("executable", "a Java archive (JAR)")
    if any(name.endswith("vbaproject.bin") for name in lowered):
        return Sniffed("active", "an office document with macros")
    if "[content_types].xml" in lowered:
        for prefix, mime in (
            ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ):
            if any(name.startswith(prefix) for name in lowered):
                return Sniffed(mime)
    if read_mimetype is not None:
        declared = read_mimetype.strip().decode("ascii", "replace")
        if declared in ("application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet"):
            return Sniffed(declared)
    return Sniffed("application/zip")


def inspect_container(path: Path, sniffed: Sniffed) -> Sniffed:
    """Look inside ZIP and OLE2 containers (on disk) to tell office files from archives and
    installers; other families are returned as they are."""
    if sniffed.family == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                mimetype = archive.read("mimetype")[:100] if "mimetype" in names else None
        except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError, EOFError):
            return Sniffed("unknown")
        return _zip_type(names, mimetype)
    if sniffed.family == "ole2":
        clsid = _ole_root_clsid(path)
        if clsid in _MSI_CLSIDS:
            return Sniffed("executable", "a Windows Installer package (MSI)")
        try:
            data = path.read_bytes()[: 4 * 1024 * 1024]
        except OSError:
            return Sniffed("unknown")
        for stream, mime in _OLE_BY_STREAM.items():
            if stream.encode("utf-16-le") in data:
                return Sniffed(mime)
        return Sniffed("unknown")
    return sniffed


@dataclass(frozen=True)
class Verdict:
    """The outcome for one upload: accepted with the type to store, or refused with a reason."""

    accepted: bool
    content_type: str = ""
    kind: Kind | None = None
    code: str = ""
    reason: str = ""
    reason_bn: str = ""


def extension_of(filename: str) -> str:
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    return suffix if 1 < len(suffix) <= 12 else ""


def _refuse(code: str, reason: str, reason_bn: str) -> Verdict:
    return Verdict(False, code=code, reason=reason, reason_bn=reason_bn)


def decide(sniffed: Sniffed, declared_type: str | None, filename: str) -> Verdict:
    """Accept or refuse: the content must be a known passive type, and the declared type and the
    name's extension (when they say anything) must agree with it."""
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    extension = extension_of(filename)
    if sniffed.family == "executable":
        return _refuse(
            "executable_refused",
            f"the content is {sniffed.label}; programs cannot be stored",
            f"বিষয়বস্তুটি একটি প্রোগ্রাম ({sniffed.label}); প্রোগ্রাম সংরক্ষণ করা যায় না",
        )
    if sniffed.family == "active":
        return _refuse(
            "active_content_refused",
            f"the content is {sniffed.label}, which could run in a browser",
            "বিষয়বস্তুটি ব্রাউজারে চলতে পারে এমন সক্রিয় কনটেন্ট (HTML/SVG/ম্যাক্রো)",
        )
    if extension in DANGEROUS_EXTENSIONS:
        return _refuse(
            "dangerous_extension",
            f"files named *{extension} are not accepted",
            f"*{extension} নামের ফাইল গ্রহণ করা হয় না",
        )
    mime = TEXT_BY_EXTENSION.get(extension, "text/plain") if sniffed.family == "text" else sniffed.family
    file_type = TYPES.get(mime)
    if file_type is None:
        return _refuse(
            "unknown_type",
            "the content is not a supported file type (PDF, image, office document, text, ZIP, DWG/DXF)",
            "ফাইলের ধরনটি সমর্থিত নয় (PDF, ছবি, অফিস ডকুমেন্ট, টেক্সট, ZIP, DWG/DXF)",
        )
    if declared and declared not in GENERIC_TYPES and not file_type.accepts_declared(declared):
        return _refuse(
            "type_mismatch",
            f"declared as {declared} but the content is {file_type.mime}",
            f"ঘোষিত ধরন {declared}, কিন্তু বিষয়বস্তু {file_type.mime}",
        )
    if extension and sniffed.family != "text" and not file_type.accepts_extension(extension):
        return _refuse(
            "type_mismatch",
            f"named *{extension} but the content is {file_type.mime}",
            f"নাম *{extension}, কিন্তু বিষয়বস্তু {file_type.mime}",
        )
    if sniffed.family == "text" and extension and extension in _BINARY_EXTENSIONS:
        return _refuse(
            "type_mismatch",
            f"named *{extension} but the content is plain text",
            f"নাম *{extension}, কিন্তু বিষয়বস্তু সাধারণ টেক্সট",
        )
    content_type = f"{file_type.mime}; charset=utf-8" if file_type.kind == "text" else file_type.mime
    return Verdict(True, content_type=content_type, kind=file_type.kind)


_BINARY_EXTENSIONS = frozenset(
    extension
    for item in TYPES.values()
    if item.kind != "text" and item.mime != "image/vnd.dxf"
    for extension in item.extensions
)


def kind_of(content_type: str) -> Kind | None:
    item = TYPES.get(content_type.split(";", 1)[0].strip())
    return item.kind if item is not None else None


INLINE_SAFE = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}
)
"""Types a browser may show inline; everything else is always served as an attachment."""
