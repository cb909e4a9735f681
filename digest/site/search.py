"""The in-browser full-text search: one folding rule, applied here to the calls and in site.js to the query.

Text is *folded* before it is compared: lower case, accents stripped (Unicode
NFD without combining marks), then Cyrillic letters written in Latin with the
Serbian table (Ukrainian letters that Serbian lacks get their usual Latin
spelling). So "Општине", "opštine" and "OPSTINE" all fold to ``opstine``, and
a Latin query finds Cyrillic text and the other way round. A query matches a
call when every query word is the start of some word of the call (AND of word
prefixes: "громад" finds "громади").

The index is a JavaScript file (``assets/search-index.js``) that assigns
``{"fold": {...}, "docs": {uid: "word word …"}}`` to ``window.GRANTDIGEST_INDEX``;
a script file loads from ``file://`` where a ``fetch`` of JSON would not. The
folding table travels in the same file, so Python and JavaScript cannot drift.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

GLOBAL_NAME = "GRANTDIGEST_INDEX"
INDEX_PATH = "assets/search-index.js"

FOLD: dict[str, str] = {
    # Serbian Cyrillic (after NFD: й→и, ї→і, ё→е, ќ→к, ѓ→г lose their marks first)
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z", "и": "i",
    "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s",
    # Ukrainian (and Russian) letters Serbian does not have
    "є": "je", "і": "i", "ґ": "g", "щ": "sc", "ю": "ju", "я": "ja", "ь": "", "ъ": "", "ы": "y", "э": "e",
    # Latin letters NFD does not take apart
    "đ": "dj", "ł": "l", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i",
    # apostrophes inside Ukrainian words (м'який, об’єкт) are dropped, not word breaks
    "'": "", "’": "", "ʼ": "",
}
"""Character → folded spelling, applied after lower-casing and stripping accents."""

_WORD_BREAK = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _table() -> dict[int, str | None]:
    """:data:`FOLD` as a ``str.translate`` table that also deletes every non-spacing mark (site.js: ``\\p{Mn}``)."""
    table: dict[int, str | None] = {code: None for code in range(sys.maxunicode + 1)
                                    if unicodedata.category(chr(code)) == "Mn"}
    table.update(str.maketrans(FOLD))
    return table


def fold(text: str) -> str:
    """``text`` lower-cased, without accents, Cyrillic in Latin letters (see the module docstring)."""
    return unicodedata.normalize("NFD", text.lower()).translate(_table())


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order, duplicates kept."""
    return [w for w in _WORD_BREAK.split(fold(text)) if w]


def document(fields: Iterable[str | None]) -> str:
    """One call's searchable text: its distinct folded words, minus those that start a longer word of it."""
    distinct = sorted({w for field in fields if field for w in words(field)})
    # "gromad" adds nothing when "gromadi" is there: every prefix of it matches the longer word too
    kept = [w for i, w in enumerate(distinct) if not (i + 1 < len(distinct) and distinct[i + 1].startswith(w))]
    return " ".join(kept)


def matches(doc: str, query: str) -> bool:
    """The rule site.js applies: every query word starts some word of ``doc``."""
    padded = " " + doc
    return all(f" {w}" in padded for w in words(query))


def index_script(docs: Mapping[str, str]) -> bytes:
    """The index as a script assigning a JSON literal; no character of a call's text can end the string early.

    ``ensure_ascii`` writes every non-ASCII character (U+2028/2029 included) as an escape, and ``<``, ``>`` and
    ``&`` are escaped too, so not even ``</script>`` appears in the file.
    """
    body = json.dumps({"fold": FOLD, "docs": dict(docs)}, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"window.{GLOBAL_NAME}={body};\n".encode("ascii")
