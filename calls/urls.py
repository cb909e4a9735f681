"""Canonical URLs: one spelling per page, so that the same call page seen on two
sources (or twice on one) yields the same key.

What is normalised: scheme and host case, a leading ``www.``, default ports,
``.``/``..`` path segments, a trailing slash (except on the root), percent-escapes
of unreserved characters (decoded) and of everything else (upper-case hex),
non-ASCII characters (percent-encoded as UTF-8; IDN hosts as punycode), the
fragment and tracking parameters (dropped), the order of the remaining query
parameters (sorted). Parameters that *name* a page — WordPress ``?p=123``,
``?grants=slug``, ``?ID_mat=42`` — are kept.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

from calls.text import XML_FORBIDDEN

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_ga", "igshid"})
"""Query parameters that only track a click; any ``utm_*`` parameter is dropped too."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PRINTABLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_URL_SAFE = "/%:@!$&'()*+,;=-._~?"


def canonical_url(url: str) -> str:
    """The canonical spelling of an absolute http(s) URL (see the module docstring).

    Text without a scheme and host (a relative path, ``mailto:``) is returned stripped
    but otherwise unchanged: it names no page this module can reason about.
    """
    text = url.strip()
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    return urlunsplit((scheme, _netloc(scheme, parts), _path(parts.path), _query(parts.query), ""))


def _netloc(scheme: str, parts) -> str:
    host = (parts.hostname or "").rstrip(".")
    host = host.removeprefix("www.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # not a valid IDN label (e.g. an over-long label): keep the lower-cased text
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: keep the host alone
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        host = f"{userinfo}@{host}"
    return host


def _path(path: str) -> str:
    path = _remove_dot_segments(_normalise_escapes(path or "/"))
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def _query(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        pair = _normalise_escapes(pair)
        name = pair.split("=", 1)[0].lower()
        if name.startswith("utm_") or name in TRACKING_PARAMS:
            continue
        kept.append(pair)
    return "&".join(sorted(kept))


def _normalise_escapes(text: str) -> str:
    """Decode ``%XX`` of unreserved characters; upper-case the hex of every other escape;
    percent-encode (UTF-8) spaces and non-ASCII characters, so an IRI and its URI meet."""

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return _ESCAPE.sub(fix, quote(text, safe=_PRINTABLE_ASCII))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4, on whole segments: ``/a/./b/../c`` → ``/a/c``."""
    if "/." not in path:
        return path
    out: list[str] = []
    segments = path.split("/")
    for segment in segments[1:]:
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    trailing = "/" if segments[-1] in {".", ".."} else ""
    return "/" + "/".join(out) + trailing


def without_tracking(url: str) -> str:
    """``url`` as published, less its click-tracking parameters (``utm_*``, ``fbclid``…): the link a reader gets.

    Unlike :func:`canonical_url` it keeps the host's spelling, the fragment
    (a tab on a one-page site) and the parameters' order.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    kept = [p for p in parts.query.split("&") if not _tracking(p.split("=", 1)[0])]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), parts.fragment))


def _tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def safe_url(url: str | None) -> str | None:
    """``url`` as an absolute http(s) URI (IDNA host, percent-encoded path), or None for anything else.

    The one URL-safety rule of every output (site, email, feeds, archive): drops ``javascript:``,
    ``data:``, relative and malformed URLs, characters XML 1.0 forbids, and any userinfo
    (``https://gov.ua@evil.example/`` is a link to ``evil.example``, and shown as one).
    """
    text = XML_FORBIDDEN.sub("", url or "").strip()
    if not text:
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if port is not None:
        host = f"{host}:{port}"
    path, query, fragment = (quote(p, safe=_URL_SAFE) for p in (parts.path, parts.query, parts.fragment))
    return urlunsplit((parts.scheme.lower(), host, path, query, fragment))
