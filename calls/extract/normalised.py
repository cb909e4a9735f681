"""Text as matched by the extractors: mojibake and zero-width characters removed, mapping back to the original.

Shared by :mod:`calls.extract.dates`, :mod:`calls.extract.money` and :mod:`calls.extract.applicants`
(which import it from :mod:`calls.extract.dates`).
"""

from __future__ import annotations

import re
from bisect import bisect_right

_JUNK = {
    # zero-width and soft characters, dropped
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    # UTF-8 read as Mac Roman / Mac Central European / cp1252 (seen on interreg-danube)
    "‚Äã": "", "‚Äč": "", "â€‹": "",
    "‚Äì": "–", "‚Äď": "–", "â€“": "–",
    "‚Äî": "—", "‚ÄĒ": "—", "â€”": "—",
    "‚Äô": "’", "â€™": "’",
    "‚Äú": "“", "â€œ": "“", "‚Äù": "”", "‚ÄĚ": "”",
    "¬†": " ", "Â\u00a0": " ",
    "‚Ç¨": "€", "‚ā¨": "€", "â‚¬": "€",
}
_JUNK_RE = re.compile("|".join(re.escape(k) for k in sorted(_JUNK, key=len, reverse=True)))
_ODD_SPACES = re.compile("[\u00a0\u2002-\u200a\u202f\t]")


class Normalised:
    """Text with mojibake and zero-width characters removed, mapping back to the original.

    Odd spaces become plain spaces. :meth:`raw` returns the original substring of
    a span of :attr:`text`, so extracted values keep their text as published.
    """

    __slots__ = ("_marks", "_pieces", "original", "text")

    def __init__(self, original: str) -> None:
        self.original = original
        self._marks: list[int] = []  # where each piece starts in ``text``
        self._pieces: list[tuple[int, int, bool]] = []  # (start, end in ``original``, replaced)
        if not _JUNK_RE.search(original):
            self.text = _ODD_SPACES.sub(" ", original)
            return
        parts: list[str] = []
        length = pos = 0
        for match in _JUNK_RE.finditer(original):
            for piece, replaced, span in (
                (original[pos : match.start()], False, (pos, match.start())),
                (_JUNK[match.group()], True, match.span()),
            ):
                if piece:
                    self._marks.append(length)
                    self._pieces.append((span[0], span[1], replaced))
                    parts.append(piece)
                    length += len(piece)
            pos = match.end()
        self._marks.append(length)
        self._pieces.append((pos, len(original), False))
        parts.append(original[pos:])
        self.text = _ODD_SPACES.sub(" ", "".join(parts))

    def raw(self, start: int, end: int) -> str:
        """Original text of the span ``[start, end)`` of :attr:`text`."""
        if not self._marks:
            return self.original[start:end]
        if end <= start:
            return ""
        return self.original[self._where(start, False) : self._where(end - 1, True)]

    def _where(self, index: int, after: bool) -> int:
        """Position in ``original`` of the character at ``index`` of ``text`` (just past it if ``after``)."""
        k = bisect_right(self._marks, index) - 1
        begin, finish, replaced = self._pieces[k]
        if replaced:
            return finish if after else begin
        return begin + index - self._marks[k] + (1 if after else 0)
