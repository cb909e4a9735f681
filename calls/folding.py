"""The one folding rule: how text is compared across scripts, cases and diacritics.

Used by the classifier (keyword matching), duplicate merging (title and id keys)
and the site's search (in Python for the index, and in ``site.js`` for the query,
which receives :data:`FOLD` with the index so the two cannot drift).

A text is folded in five steps, the same in Python and JavaScript:

0. й and Й become ``j`` (before step 1 would make them и: "район" → ``rajon``, "2-й" → ``2 j``,
   as Serbian ј does),
1. Unicode NFKD (compatibility forms taken apart: "№" → "No", "ﬁ" → "fi"),
2. lower case,
3. every non-spacing mark dropped (accents, the breve of й, the diaeresis of ї and ё),
4. each character of :data:`FOLD` replaced: Cyrillic in Latin letters with the Serbian
   table, so Serbian Cyrillic and Latin meet ("Општине", "opštine", "OPSTINE" → ``opstine``)
   and Ukrainian letters Serbian lacks get their usual spelling ("проєкти" and "пројекти" →
   ``projekti``, "їжак" → ``izak``); Latin letters NFKD keeps whole (đ, ł, ø, ß …);
   apostrophes inside words (м'який, об’єкт) dropped.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

FOLD: dict[str, str] = {
    # Serbian Cyrillic (Serbian Latin spelling, without its diacritics)
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z", "и": "i",
    "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s",
    # Ukrainian (and Russian) letters Serbian does not have; ї and ё lost their marks in step 3
    "є": "je", "і": "i", "ґ": "g", "щ": "sc", "ю": "ju", "я": "ja", "ь": "", "ъ": "", "ы": "y", "э": "e",
    # Latin letters NFKD does not take apart
    "đ": "dj", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i", "þ": "th", "ð": "d",
    # apostrophes inside words are dropped, not word breaks
    "'": "", "’": "", "ʼ": "", "`": "", "´": "", "‘": "",
}
"""Character → folded spelling, applied after NFKD, lower-casing and dropping non-spacing marks."""

SHORT_I = {"й": "j", "Й": "j"}
"""Step 0, before NFKD takes й apart (site.js does the same)."""
_SHORT_I = str.maketrans(SHORT_I)
_WORD_BREAK = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _table() -> dict[int, str | None]:
    """:data:`FOLD` as a ``str.translate`` table that also deletes every non-spacing mark (JS ``\\p{Mn}``)."""
    table: dict[int, str | None] = {code: None for code in range(sys.maxunicode + 1)
                                    if unicodedata.category(chr(code)) == "Mn"}
    table.update(str.maketrans(FOLD))
    return table


def fold(text: str) -> str:
    """``text`` folded (see the module docstring); punctuation and spaces are kept as they are."""
    return unicodedata.normalize("NFKD", text.translate(_SHORT_I)).lower().translate(_table())


def fold_words(text: str) -> list[str]:
    """The folded words of ``text``, in order, duplicates kept; punctuation, hyphens and spaces separate them."""
    return [w for w in _WORD_BREAK.split(fold(text)) if w]


def fold_key(text: str) -> str:
    """The folded words of ``text`` joined by single spaces: a comparison key for titles and ids."""
    return " ".join(fold_words(text))
