"""The one CSV writer of every spreadsheet grantdigest writes (the feeds' ``calls.csv``, ``grantdigest export``).

Scraped text is untrusted, and a spreadsheet runs a cell that starts like a formula
(``=HYPERLINK(…)``, ``+``, ``-``, ``@``, a tab or CR: OWASP "CSV injection"; also behind
leading whitespace or a line feed, and their fullwidth forms, which some locales' Excel
reads as the ASCII ones). Every cell passes through :func:`cell`: such a cell gets a
leading ``'``, which spreadsheets show as text, and the characters XML 1.0 forbids (control characters that also break
CSV readers) are dropped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

from calls.text import XML_FORBIDDEN

RISKY = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""A cell starting with one of these is read as a formula by Excel, LibreOffice or Google Sheets."""


def cell(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates ('' for None)."""
    text = XML_FORBIDDEN.sub("", "" if value is None else str(value))
    return "'" + text if text.startswith(RISKY) or text.lstrip().startswith(RISKY) else text


def write_rows(out: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, object]], *,
               delimiter: str = ",") -> int:
    """Write a header of ``columns`` and one guarded line per row (CRLF, quoted when needed); the rows written."""
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
        n += 1
    return n
