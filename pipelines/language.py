"""Language of a call's text by its words, then the script of Serbian.

A statistical detector (lingua, n-gram models of the languages the digest meets:
English, Ukrainian, Russian, Serbian and its Croatian and Bosnian neighbours,
Polish, Hungarian, Romanian) reads the words, so one diacritic ("South Bačka")
no longer makes an English page Serbian. Serbian, Croatian and Bosnian read as one
language (the sources are Serbian; the models cannot tell the standards apart on
a title) and the script decides ``sr-Latn`` or ``sr-Cyrl`` after. Only words with a
lower-case letter count (ids such as ``HORIZON-CL4-…`` and acronyms are no language);
text with too few words or no clear winner returns None and the source's declared
language stands.

The detector runs in lingua's low-accuracy mode (trigrams only): about 35 MB
instead of about 300 MB for the full models, at well under a millisecond a call.
"""

from __future__ import annotations

import re
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

TAGS = {
    Language.ENGLISH: "en", Language.UKRAINIAN: "uk", Language.RUSSIAN: "ru", Language.POLISH: "pl",
    Language.HUNGARIAN: "hu", Language.ROMANIAN: "ro",
    Language.SERBIAN: "sr", Language.CROATIAN: "sr", Language.BOSNIAN: "sr",
}
"""Detected language → BCP 47 tag (Serbian's script is added from the letters)."""
MIN_WORDS = 2
MIN_DISTANCE = 0.1
"""How far the best language's confidence must lead the next one's (lingua's relative distance)."""

_WORD = re.compile(r"[^\W\d_]{2,}")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


@cache
def detector() -> LanguageDetector:
    """The one detector of the process (built on first use; models load lazily)."""
    return (LanguageDetectorBuilder.from_languages(*TAGS).with_low_accuracy_mode()
            .with_minimum_relative_distance(MIN_DISTANCE).build())


def detect_language(text: str) -> str | None:
    """BCP 47 tag of ``text`` (``uk``, ``sr-Cyrl``, ``sr-Latn``, ``pl``, ``hu``, ``ro``, ``en``, ``ru``), or None when
    undecided."""
    words = [w for w in _WORD.findall(text or "") if not w.isupper()]  # ids and acronyms are not words of a language
    if len(words) < MIN_WORDS:
        return None
    found = detector().detect_language_of(" ".join(words))
    if found is None:
        return None
    tag = TAGS[found]
    if tag != "sr":
        return tag
    letters = "".join(words)
    return "sr-Cyrl" if len(_CYRILLIC.findall(letters)) > len(_LATIN.findall(letters)) else "sr-Latn"
