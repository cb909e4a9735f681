"""Encodings as the web has them: the charset a page really uses, whatever its header claims.

Order of trust: a byte-order mark; the HTTP charset when the body decodes with it; the page's own
declaration (``<?xml encoding=…?>``, ``<meta charset>``) when the body decodes with it; UTF-8 when the body
is valid UTF-8; else detection (charset-normalizer) among the encodings this region's sites use:
windows-1251, KOI8-U, ISO-8859-2, windows-1250, windows-1252. A Cyrillic feed in windows-1251 sent with no
charset, or labelled UTF-8, is read as Cyrillic instead of being lost.
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes
from scrapy.http import TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from spiders.causes import StatsMiddleware

CANDIDATES = ("utf_8", "cp1251", "koi8_u", "iso8859_2", "cp1250", "cp1252")
"""What detection may answer: the encodings of Ukrainian, Serbian, Polish, Hungarian and Romanian sites."""


def _decodes(body: bytes, encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
        body.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return False
    return True


def real_encoding(body: bytes, header: str | None, declared: str | None) -> str | None:
    """The encoding to read ``body`` with; None to leave the page's own (a BOM, or a header that fits)."""
    if read_bom(body)[0]:
        return None
    if header and _decodes(body, header):
        return None
    if declared and _decodes(body, declared):
        return declared
    if _decodes(body, "utf-8"):
        return "utf-8"
    best = from_bytes(body, cp_isolation=list(CANDIDATES)).best()
    return best.encoding if best else None


class Charsets(StatsMiddleware):
    """Downloader middleware inside decompression: gives each text response the encoding it really uses."""

    def process_response(self, request, response):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        header = http_content_type_encoding(response.headers.get(b"Content-Type", b"").decode("latin-1"))
        chosen = real_encoding(response.body, header, html_body_declared_encoding(response.body))
        if chosen is None or (header and codecs.lookup(chosen).name == codecs.lookup(header).name):
            return response
        if header:
            self.stats.inc_value("grantdigest/charset_overridden")
        return response.replace(encoding=chosen)
