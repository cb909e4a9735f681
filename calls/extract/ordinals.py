"""Which call of its programme a text announces: the ordinal ("2nd call", "другий конкурс", "drugi poziv",
"második felhívás", "al doilea apel") and the strand (small projects, strategic projects).

These stay the same when a call is reposted in another language, so merging reads them to tell reposts
of one call (same ordinal) from two calls of one programme (first and second call, small-projects call and
regular call). Pure functions over plain text, in English, Ukrainian, Serbian (both scripts), Polish,
Hungarian and Romanian.
"""

from __future__ import annotations

import re

_CALL = (r"(?:calls?|конкурс\w*|заклик\w*|набор\w*|набір\w*|поклик\w*|poziv\w*|konkurs\w*|позив\w*|конкурс\w*"
         r"|nab[óo]r\w*|felhív\w*|pályáz\w*|kiírás\w*|apel\w*|cerer\w*)")
_ORDINAL_WORDS: dict[int, str] = {
    1: r"first|1st|перш\w+|prv\w+|прв\w+|pierwsz\w+|első|primul|prima",
    2: r"second|2nd|друг\w+|drug\w+|drugi|второ\w*|második|al\s+doilea|a\s+doua",
    3: r"third|3rd|трет\w+|tre[ćc]\w+|трећ\w+|trzeci\w*|harmadik|al\s+treilea|a\s+treia",
    4: r"fourth|4th|четверт\w+|[čc]etvrt\w+|четврт\w+|czwart\w+|negyedik|al\s+patrulea|a\s+patra",
    5: r"fifth|5th|п['’ʼ]?ят\w+|pet\w+|пет\w+|pi[ąa]t\w+|ötödik|al\s+cincilea|a\s+cincea",
}
_FILLER = r"(?:[^\W\d_]+\s+){0,2}"  # "second *open* call", "drugi *javni* poziv", "második *pályázati* felhívás"
_BEFORE = re.compile(
    r"(?<![^\W\d_])(?:"
    + "|".join(f"(?P<o{n}>{words})" for n, words in _ORDINAL_WORDS.items())
    + r")\s+"
    + _FILLER
    + _CALL,
    re.IGNORECASE,
)
_NUMBERED = re.compile(
    r"(?<![^\W\d_])(?:" + _CALL + r"\s+(?:(?:no|nr|br|№)\.?\s*)?(?P<after>[1-9])(?![\d./])"  # "Call 2", "poziv br. 2"
    r"|(?P<dotted>[1-9])\.\s+" + _FILLER + _CALL + r")",  # "2. poziv", "2. javni konkurs"
    re.IGNORECASE,
)
_STRANDS = {
    "small-projects": re.compile(
        r"small[\s-]+(?:scale\s+)?projects?|\bSPF\b|micro[\s-]?projects?|мікропро[єе]кт\w*|малих\s+про[єе]кт\w*|мал\w+\s+гранті?в?"
        r"|mal\w+\s+projek\w+|мал\w+\s+пројек\w+|mikroprojekt\w*|kisprojekt\w*|kis\s+projekt\w*|proiecte\s+mici|microproiect\w*",
        re.IGNORECASE),
    "strategic-projects": re.compile(
        r"strategic\s+projects?|стратегічн\w+\s+про[єе]кт\w*|strate[šs]k\w+\s+projek\w+|стратешк\w+\s+пројек\w+"
        r"|projekt\w*\s+strategiczn\w+|stratégiai\s+projekt\w*|proiecte\s+strategice",
        re.IGNORECASE),
}


def call_ordinal(text: str | None) -> int | None:
    """The call's number within its programme, when the text states one (the first statement wins)."""
    if not text:
        return None
    found = [(m.start(), int(next(k for k, v in m.groupdict().items() if v)[1:])) for m in _BEFORE.finditer(text)]
    found += [(m.start(), int(m.group("after") or m.group("dotted"))) for m in _NUMBERED.finditer(text)]
    return min(found)[1] if found else None


def call_strand(text: str | None) -> str | None:
    """``small-projects`` or ``strategic-projects`` when the text says the call is one, else None."""
    if not text:
        return None
    return next((name for name, pattern in _STRANDS.items() if pattern.search(text)), None)
