"""Programme priorities and specific objectives a call names ("Priority 2", "SO 2.4", "Пріоритет 1").

Interreg and other programmes number their priorities and specific objectives;
calls say which they fund. The numbers are what a reader compares with the
programme document, so they are kept as published.
"""

from __future__ import annotations

import re

_NUMBER = r"\d{1,2}(?:\.\d{1,2})?\.?"
_PRIORITY = re.compile(
    rf"""(?<![^\W\d_])(?:
        (?:priority(?:\s+axis)?|policy\s+objective|specific\s+objective|SO|PO
         |пріоритет\w*|специфічн\w+\s+ц[іи]л\w*
         |prioritet\w*|приоритет\w*|specifičn\w+\s+cilj\w*|специфичн\w+\s+циљ\w*
         |priorytet\w*|cel\w*\s+szczegółow\w*
         |prioritat\w*|obiectiv\w*\s+specific\w*)
        \s*(?:no\.?|№|nr\.?)?\s*{_NUMBER}
      | {_NUMBER}\s*(?:prioritás\w*|prioritási\s+tengely\w*|specifikus\s+cél\w*)
    )(?!\d)""",
    re.IGNORECASE | re.VERBOSE,
)


def find_priorities(text: str) -> list[str]:
    """Every priority or specific objective named in ``text``, as published, in order, without repeats."""
    found: list[str] = []
    for match in _PRIORITY.finditer(text):
        value = " ".join(match.group(0).rstrip(".").split())
        if value.lower() not in (f.lower() for f in found):
            found.append(value)
    return found
