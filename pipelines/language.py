"""Language of a call's text, including the script of Serbian.

A letter-frequency heuristic over the letters only some alphabets have: it is
fast, needs no model, and is right for what the digest meets (titles and
summaries in en, uk, sr-Latn, sr-Cyrl, pl, hu, ro). Undecided text returns None
and the source's declared language stands.
"""

from __future__ import annotations

import re

_SIGNS: dict[str, re.Pattern] = {
    "uk": re.compile(r"[іїєґІЇЄҐ]"),
    "sr-Cyrl": re.compile(r"[ђћџљњјЂЋЏЉЊЈ]"),
    "ru": re.compile(r"[ыэъЫЭЪё]"),
    "pl": re.compile(r"[ąęłńśźżĄĘŁŃŚŹŻ]|\b(?:dla|nabór|wniosk\w*|gmin\w*|samorząd\w*)\b", re.IGNORECASE),
    "hu": re.compile(r"[őűŐŰ]|\b(?:és|pályázat|felhívás|határidő)\b", re.IGNORECASE),
    "ro": re.compile(r"[ăâîșțşţĂÂÎȘȚŞŢ]"),
    "sr-Latn": re.compile(r"[čćđžšČĆĐŽŠ]"),
}
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
_SR_LATN_WORDS = re.compile(r"\b(?:javni|poziv|konkurs|opštin|opstin|udruženj|rok|dinara|godine|sredstava)\w*", re.IGNORECASE)
_EN_WORDS = re.compile(r"\b(?:the|and|for|of|call|proposals|grants?|projects?|deadline)\b", re.IGNORECASE)


def detect_language(text: str) -> str | None:
    """BCP 47 tag of ``text`` (``uk``, ``sr-Cyrl``, ``sr-Latn``, ``pl``, ``hu``, ``ro``, ``en``), or None when undecided."""
    if not text:
        return None
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic > latin:
        counts = {tag: len(_SIGNS[tag].findall(text)) for tag in ("uk", "sr-Cyrl", "ru")}
        best = max(counts, key=counts.get)
        return best if counts[best] else None
    if latin == 0:
        return None
    counts = {tag: len(_SIGNS[tag].findall(text)) for tag in ("pl", "hu", "ro", "sr-Latn")}
    counts["sr-Latn"] += len(_SR_LATN_WORDS.findall(text))
    best = max(counts, key=counts.get)
    if counts[best]:
        return best
    return "en" if _EN_WORDS.search(text) else None
