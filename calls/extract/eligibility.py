"""The eligibility part of a call announcement: who may apply, as the post itself says it.

Posts (feeds, WordPress, listing pages) put it under a heading ("Who can apply",
"Eligible applicants", "Хто може подати заявку", "Право на участь", "Ko može da se
prijavi", "Pravo učešća", "Kto może składać wnioski", "Ki pályázhat", "Cine poate
aplica") or in a sentence that opens with such words ("Право учешћа имају удружења …").
:func:`eligibility_section` returns those lines, so that applicant types and
participation limits are read from what the post says about applicants rather than
from incidental words elsewhere ("services for individuals with disabilities").
"""

from __future__ import annotations

import re

from calls.text import LIST_ITEM

SECTION_MAX = 2000
"""Longest eligibility section kept, in characters."""

_HEADING = re.compile(
    r"""^\W{0,3}(?:
        eligib(?:le|ility)(?:\s+(?:applicants?|organi[sz]ations|entities|criteria|conditions|countries))?
        |who\s+(?:can|may|is\s+eligible\s+to)\s+(?:apply|participate)|who\s+is\s+eligible|eligible\s+applicants?
        |хто\s+може\s+(?:подати|податися|взяти\s+участь|подавати|бути\s+заявником)|право\s+на\s+участь
        |учасники\s+конкурсу|вимоги\s+до\s+(?:заявників|учасників)|потенційні\s+заявники|хто\s+може\s+податись
        |ko\s+(?:može|mogu)\s+(?:da\s+se\s+prijav|da\s+učestvuj|podneti|da\s+podnese)\w*|pravo\s+(?:učešća|na\s+učešće|prijave)
        |prihvatljivi\s+(?:podnosioci|korisnici|partneri)|ко\s+(?:може|могу)\s+(?:да\s+се\s+пријав|да\s+учеству|поднети)\w*
        |право\s+(?:учешћа|на\s+учешће|пријаве)|прихватљиви\s+(?:подносиоци|корисници|партнери)
        |kto\s+może\s+(?:składać|złożyć|wziąć\s+udział|ubiegać)\w*|uprawnieni\s+wnioskodawcy|kwalifikowalni\s+wnioskodawcy
        |ki\s+pályázhat|kik\s+pályázhatnak|pályázók\s+köre|jogosult\s+pályázók|pályázásra\s+jogosultak
        |cine\s+poate\s+(?:aplica|depune|participa)|solicitan[țţ]i\s+eligibili|beneficiari\s+eligibili|eligibilitate
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_NEXT_HEADING = re.compile(r"^[^\n]{1,60}:\s*$|^#+\s")
"""A short line ending in a colon, or a Markdown heading: the start of the next section."""


def eligibility_section(text: str) -> str | None:
    """The lines of ``text`` that say who may apply, or None when it has none."""
    lines = [line.strip() for line in text.splitlines()]
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line or not _HEADING.match(line):
            continue
        block = [line]
        heading_only = len(line) <= 80 and not line.rstrip().endswith((".", "!"))
        if heading_only:
            # The heading's own section: the lines under it, up to a blank line (unless a list goes on) or the
            # next heading.
            while i < len(lines):
                following = lines[i]
                if not following:
                    if i + 1 < len(lines) and LIST_ITEM.match(lines[i + 1]):
                        i += 1
                        continue
                    break
                if _NEXT_HEADING.match(following):
                    break
                block.append(following)
                i += 1
        kept += block
        if sum(map(len, kept)) >= SECTION_MAX:
            break
    if not kept:
        return None
    section = "\n".join(kept)
    return section[:SECTION_MAX].rstrip()
