"""Turning untrusted scraped markup into safe, bounded plain text.

Scraped text is untrusted: whatever reaches the schema's text fields passes
through :func:`html_to_text`, which keeps words and drops every tag, script,
style and comment. Escaping for HTML, email and feeds happens again on output.
"""

from __future__ import annotations

import html
import re
import unicodedata

from lxml import etree
from lxml import html as lxml_html

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "section", "article", "header", "footer", "blockquote", "pre", "dd", "dt", "hr",
}
_DROP = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head"}
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\s*\n\s*")
XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 forbids; they also break iCalendar and CSV readers and have no place in a URL."""


def clean_text(text: str | None) -> str:
    """Collapse whitespace, drop control and zero-width characters, NFC-normalise; '' for None."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    return _SPACES.sub(" ", text.replace("\r", "")).strip()


def one_line(text: str | None) -> str:
    """:func:`clean_text` with every line break folded into a space (titles)."""
    return " ".join(clean_text(text).split())


def html_to_text(markup: str | None, limit: int | None = None) -> str:
    """Plain text of an HTML fragment: block elements become line breaks, everything else is dropped.

    ``limit`` bounds the result, cut at a word boundary with an ellipsis.
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return truncate(clean_text(markup), limit)
    return truncate(_text_of(markup), limit)


_PARSER = lxml_html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
"""libxml2's HTML parser: linear in the depth of the markup (100,000 nested ``<div>`` parse in well under
a second, where a Python tree builder is quadratic), comments and processing instructions left out."""


def _text_of(markup: str) -> str:
    try:
        root = lxml_html.document_fromstring(f"<html><body>{markup}</body></html>", parser=_PARSER)
    except (etree.ParserError, ValueError):
        return _stripped(markup)
    text = _walk(root)
    if len(text) < 0.5 * len(stripped := _stripped(markup)):
        return stripped  # libxml2 stops at its depth limit: markup nested past it keeps its words this way
    return text


_DROPPED_BLOCKS = re.compile(r"<(script|style|noscript|template|svg|head)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_BREAKS = re.compile(r"</?(?:" + "|".join(sorted(_BLOCK)) + r")\b[^>]*>", re.I)
_TAGS = re.compile(r"<[^>]*>")


def _stripped(markup: str) -> str:
    """Plain text by pattern alone (linear, for markup the parser cannot take whole)."""
    text = _TAGS.sub("", _BREAKS.sub("\n", _DROPPED_BLOCKS.sub(" ", markup)))
    lines = (clean_text(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _walk(root) -> str:
    parts: list[str] = []
    dropping = None
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if dropping is not None:
            if event == "end" and element is dropping:
                dropping = None
                parts.append(element.tail or "")
            continue
        if event == "start":
            if tag in _DROP:
                dropping = element
                continue
            if tag in _BLOCK:
                parts.append("\n")
            parts.append(element.text or "")
        else:
            if tag in _BLOCK:
                parts.append("\n")
            if element is not root:
                parts.append(element.tail or "")
    lines = (clean_text(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def truncate(text: str, limit: int | None) -> str:
    """``text`` cut to at most ``limit`` characters at a word boundary, ending in '…'."""
    if limit is None or len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-\n") + "…"


_SENTENCE_BREAK = re.compile(r"(?<![A-Z]\.[A-Z]\.)(?<=[.!?;])\s+(?=[\"'„“«(\[]?[^\W\d_])")
LIST_ITEM = re.compile(r"^\s*(?:[-–—•*·▪●]\s*|(?:\d{1,2}|[a-z])[.)]\s+)")
"""A list line's bullet or number ("• ", "2) ", "b. "); "12.05.2028" is not one."""


def sentences(text: str) -> list[str]:
    """Sentences and lines of plain ``text``; a line ending in ":" takes the list lines that follow it,
    so "Eligible applicants:" and its items read as one sentence. The one splitter of the extractors."""
    out: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if line.endswith(":"):
            items = []
            while i < len(lines) and lines[i] and (LIST_ITEM.match(lines[i]) or len(lines[i]) < 80) and len(items) < 30:
                items.append(LIST_ITEM.sub("", lines[i]).rstrip(".;,"))
                i += 1
            if items:
                line = line + " " + ", ".join(items) + "."
        out += [s.strip() for s in _SENTENCE_BREAK.split(line) if s and s.strip()]
    return out
