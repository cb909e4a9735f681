"""File names of call pages: stable across builds, safe on every file system and in a URL."""

from __future__ import annotations

import hashlib
import re

from calls.folding import fold

MAX_READABLE = 60


def call_slug(uid: str) -> str:
    """``eu-ftp:HORIZON-CL5-2027-D3-01`` → ``eu-ftp-horizon-cl5-2027-d3-01-3f9a1c2b``.

    Made from the uid alone (a title can be corrected; a link must not break): its
    folded ASCII spelling, cut to a readable length, and 8 hex digits of its SHA-256
    so that two uids that fold alike still get two pages.
    """
    readable = re.sub(r"[^a-z0-9]+", "-", fold(uid).encode("ascii", "ignore").decode()).strip("-")[:MAX_READABLE]
    digest = hashlib.sha256(uid.encode("utf-8")).hexdigest()[:8]
    return f"{readable.rstrip('-')}-{digest}" if readable else digest
