"""File names people give, made safe to store and to send back.

- :func:`clean_filename` keeps what a person wrote (Bengali included, NFC-normalized, the zero-width
  joiners Bengali conjuncts need) and drops what could mislead or escape: directory parts, control
  characters, bidirectional overrides that disguise an extension (``invoice‮fdp.exe``), reserved
  punctuation, leading dots.
- :func:`content_disposition` writes the header per RFC 6266 with the RFC 8187 (formerly 5987)
  ``filename*=UTF-8''...`` form, so Bengali names survive, plus a plain ASCII ``filename=`` fallback
  for old clients.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal
from urllib.parse import quote

MAX_NAME_LENGTH = 255

# Bidirectional embeddings, overrides and isolates: used to disguise extensions.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Characters Windows and most file systems reserve, and quotes that break headers.
_RESERVED = frozenset('/\\:*?"<>|')
# Zero-width joiner and non-joiner shape Bengali (and other Indic) text: keep them.
_JOINERS = frozenset("\u200c\u200d")
_SPACES = re.compile(r"\s+")

Disposition = Literal["attachment", "inline"]


def clean_filename(name: str) -> str:
    """The name to store; empty when nothing usable is left (the caller refuses it)."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = []
    for char in name:
        if char in _JOINERS:
            kept.append(char)
            continue
        if char in _BIDI_CONTROLS or char in _RESERVED:
            continue
        if char.isspace():
            kept.append(" ")
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        kept.append(" " if category.startswith("Z") else char)
    cleaned = _SPACES.sub(" ", "".join(kept)).strip().lstrip(".").strip()
    if len(cleaned) > MAX_NAME_LENGTH:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 12:
            cleaned = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            cleaned = cleaned[:MAX_NAME_LENGTH].rstrip()
    return cleaned


_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._()\- ]+")


def ascii_fallback(name: str) -> str:
    """An ASCII rendering for ``filename=``: accents dropped, other characters replaced by ``_``."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(char if ord(char) < 128 else "" if unicodedata.combining(char) else "_" for char in decomposed)
    replaced = _ASCII_UNSAFE.sub("_", ascii_only)
    replaced = re.sub("_+", "_", replaced)
    stem, dot, extension = replaced.rpartition(".")
    if dot and not stem.strip("_ ."):
        return f"file.{extension}" if extension.strip("_") else "file"
    replaced = replaced.strip(" .")
    return replaced if replaced.strip("_") else "file"


# RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
_ATTR_CHARS = "!#$&+-.^_`|~"


def content_disposition(name: str, disposition: Disposition = "attachment") -> str:
    """``attachment; filename="fallback.pdf"; filename*=UTF-8''%E0%A6%9A...`` for any stored name."""
    cleaned = clean_filename(name) or "file"
    fallback = ascii_fallback(cleaned)
    encoded = quote(cleaned, safe=_ATTR_CHARS, encoding="utf-8")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
