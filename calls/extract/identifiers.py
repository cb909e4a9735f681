"""Official call identifiers in a post: the call's own, and the ones it only quotes.

A post's own id is the one in its title, in its URL, in a labelled field
("Call ID:", "Reference:", "Ідентифікатор:", "Broj poziva:"), or — when none of
those names one — the first id in its opening lines that no reference wording
precedes. Every other id the text quotes ("complements the CSA
HORIZON-CL4-2025-03-HUMAN-18", "under the previous call HUSRB/1601") is a
reference: kept apart, never the call's id, so merging by id never joins two
different calls.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

CALL_ID = re.compile(
    r"\b(?:"
    r"EuropeAid/\d{6}/[A-Z]{1,3}/[A-Z]{3}/[A-Z]{2,3}"  # EU external action (PROSPECT)
    r"|(?:HORIZON|DIGITAL|CERV|CREA|ERASMUS|LIFE|SMP|EU4H|CEF|EDF|AMIF|ISF|BMVI|INNOVFUND|RFCS|EMFAF|PPPA|ESF|ESC|UCPM|JUST|AGRIP|EUAF|I3|EUBA|SOCPL)"
    r"(?:-[A-Z0-9]+){2,7}"                               # F&TP topic or call identifiers
    r"|(?:HUSRB|ROSRB|HRRS|HUSKROUA|ROUA|PLUA|BSB)/\d{4}(?!\d)"  # Interreg call references (HUSRB/1601)
    r")"
)
_LABEL = re.compile(
    r"(?:call|topic)\s+(?:id|identifier|code|number|reference)|reference(?:\s+number)?|ref\.|identifier"
    r"|ідентифікатор|номер\s+конкурсу|код\s+конкурсу|broj\s+poziva|oznaka\s+poziva|број\s+позива|ozna[ck]a"
    r"|azonosító|felhívás\s+száma|cod(?:ul)?\s+apelului|identificator|numer\s+naboru|sygnatura",
    re.IGNORECASE,
)
_LABELLED = re.compile(rf"(?:{_LABEL.pattern})\s*(?:no\.?\s*)?[:№#]?\s*$", re.IGNORECASE)
_REFERENCE = re.compile(
    r"(?:\b(?:see|cf|complement\w*|synerg\w*|previous|earlier|former|preceding|under|within|linked|related|following|"
    r"building\s+on|funded\s+(?:by|under)|CSA|RIA|IA|also|with|such\s+as|"
    r"див|попередн\w*|у\s+межах|в\s+рамках|також|prethodn\w*|u\s+okviru|v\s+okviru|претходн\w*|у\s+оквиру|"
    r"korábbi|keretében|anterior\w*|[îi]n\s+cadrul|poprzedni\w*|w\s+ramach)\W*(?:the\s+|call\s+|topic\s+|конкурс\w*\s+)?)$",
    re.IGNORECASE,
)
_TOPIC_PAGE = re.compile(r"/topic-details/([^/#]+)")
LEAD = 400
"""Characters of a post's opening in which an unlabelled id may be the call's own."""


def call_ids(title: str, url: str, text: str) -> tuple[str | None, list[str]]:
    """(the call's own id or None, the other ids the text quotes, in order)."""
    quoted = list(dict.fromkeys(m.group(0) for m in CALL_ID.finditer(text)))
    own = _in(title) or _in_url(url) or _labelled(text) or _leading(text)
    return own, [i for i in quoted if i != own]


def _in(title: str) -> str | None:
    match = CALL_ID.search(title or "")
    return match.group(0) if match else None


def _in_url(url: str) -> str | None:
    """An id as written in the URL's path, or the F&TP topic of a topic-details link (lower case there:
    ``…/topic-details/horizon-cl5-2027-d3-01``); a slug that merely looks like one (``/cerv-town-twinning-2027/``)
    is not."""
    path = unquote(url or "").split("?", 1)[0]
    if match := CALL_ID.search(path):
        return match.group(0)
    topic = _TOPIC_PAGE.search(path)
    whole = CALL_ID.fullmatch(topic.group(1).upper()) if topic else None
    return whole.group(0) if whole else None


def _labelled(text: str) -> str | None:
    for match in CALL_ID.finditer(text):
        if _LABELLED.search(text[max(0, match.start() - 40):match.start()]):
            return match.group(0)
    return None


def _leading(text: str) -> str | None:
    for match in CALL_ID.finditer(text, 0, LEAD):
        if not _REFERENCE.search(text[max(0, match.start() - 40):match.start()]):
            return match.group(0)
        return None  # the first id is quoted: the post does not name its own in the opening
    return None
