"""Planning wording: a post that announces a call to come, not an open one.

"The call is projected to the second part of 2025", "the second call is expected to be
launched in spring 2027", "конкурс планується оголосити у березні", "poziv će biti
raspisan u aprilu", "nabór zostanie ogłoszony w maju", "a felhívás várhatóan
júniusban jelenik meg", "apelul va fi lansat în iulie". Such a post is *forthcoming*
when it publishes no opening date and no deadline (dates decide whenever there are any).
"""

from __future__ import annotations

import re

_CALL = (r"(?:call|calls|competition|tender|konkurs\w*|конкурс\w*|poziv\w*|позив\w*|nab[óo]r\w*|pályázat\w*|"
         r"felhívás\w*|apel\w*)")

_PLANNED = re.compile(
    r"""
    \b""" + _CALL + r"""\b[^.!?\n]{0,60}?\b(?:is|are|will\s+be)
        \s+(?:planned|expected|projected|foreseen|scheduled|envisaged)
        \s+(?:to\s+(?:open|be\s+(?:launched|published|opened|announced))|for|in|to\s+the)\b
    |\bprojected\s+to\s+(?:the\s+)?(?:first|second|third|fourth|last)\s+(?:part|half|quarter)\b
    |\b(?:planned|indicative|expected|tentative)\s+(?:launch|opening|publication)\s+(?:date\s+)?
        (?:of\s+the\s+""" + _CALL + r"""\s*)?(?:is|:|in|on)
    |\b""" + _CALL + r"""\b[^.!?\n]{0,40}?\bwill\s+(?:open|be\s+(?:launched|published|opened))\s+(?:in|on|by|during)\b
    |конкурс\w*[^.!?\n]{0,40}?(?:планується|плануємо|очікується|буде)\s+(?:оголо|відкри|запуст|старт)\w*
    |(?:планується|очікується)\s+(?:оголошення|відкриття|запуск|старт)\s+(?:\w+\s+){0,2}конкурс\w*
    |оголошення\s+конкурсу\s+(?:заплановано|очікується|планується)
    |(?:poziv|konkurs)\w*\s+(?:će\s+biti|bi\s+trebalo\s+da\s+bude)\s+(?:objavljen|raspisan|otvoren)\w*
    |(?:planira|očekuje)\s+se\s+(?:objavljivanje|raspisivanje|otvaranje|objava)
    |(?:позив|конкурс)\w*\s+(?:ће\s+бити|би\s+требало\s+да\s+буде)\s+(?:објављен|расписан|отворен)\w*
    |(?:планира|очекује)\s+се\s+(?:објављивање|расписивање|отварање|објава)
    |nab[óo]r\w*\s+(?:zostanie|zostaną|będzie|będą)\s+(?:ogłoszon|uruchomion|otwart)\w*
    |planowan\w+\s+(?:termin\s+)?(?:ogłoszeni\w+|uruchomieni\w+|naboru)
    |(?:felhívás|pályázat)\w*\s+[^.!?\n]{0,40}?várhatóan[^.!?\n]{0,40}?(?:jelenik\s+meg|nyílik\s+meg|kerül\s+meghirdetésre|indul)
    |meghirdetése\s+(?:várható|tervezett)
    |apel\w*\s+(?:va\s+fi|urmează\s+să\s+fie|ar\s+urma\s+să\s+fie)\s+(?:lansat|publicat|deschis)\w*
    |lansarea\s+apelului\s+(?:este\s+)?(?:estimat|prevăzut|planificat)\w*
    """,
    re.IGNORECASE | re.VERBOSE,
)


def find_planned(text: str) -> str | None:
    """The words that announce a call to come, as written, or None."""
    match = _PLANNED.search(text or "")
    return " ".join(match.group().split()) if match else None
