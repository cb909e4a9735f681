"""The in-browser full-text search: one folding rule, applied here to the calls and in site.js to the query.

Text is *folded* before it is compared, by the house's one rule
(:mod:`calls.folding`: NFKD, lower case, accents dropped, Cyrillic in Latin
letters with the Serbian table, Ukrainian letters Serbian lacks with their usual
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
from collections.abc import Iterable, Mapping

from calls.folding import FOLD, fold_words

GLOBAL_NAME = "GRANTDIGEST_INDEX"
INDEX_PATH = "assets/search-index.js"


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order, duplicates kept."""
    return fold_words(text)


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
