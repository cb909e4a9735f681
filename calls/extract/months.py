"""Month names of every language the sources publish in, with declined forms.

Keys are lower case; :data:`MONTHS` maps each spelling to its month number and
:data:`MONTH_PATTERN` is a regex alternation of all of them (longest first), to
be embedded in the date patterns of :mod:`calls.extract.dates`.

Covered: English, Ukrainian, Russian (re-publishers), Polish, Hungarian,
Romanian, Serbian Latin and Cyrillic: nominative and genitive (``грудень``,
``грудня``; ``decembar``, ``decembra``; ``grudzień``, ``grudnia``) and the usual
abbreviations (``Nov``, ``Sept``, ``febr``, ``ian``).
"""

from __future__ import annotations

import re

_FORMS: dict[int, tuple[str, ...]] = {
    1: (
        "january", "jan",  # en
        "січень", "січня", "січ",  # uk
        "январь", "января", "янв",  # ru
        "styczeń", "stycznia", "sty",  # pl
        "január", "jan",  # hu
        "ianuarie", "ian",  # ro
        "januar", "januara", "јануар", "јануара",  # sr
    ),
    2: (
        "february", "feb",
        "лютий", "лютого", "лют",
        "февраль", "февраля", "фев",
        "luty", "lutego", "lut",
        "február", "febr",
        "februarie",
        "februar", "februara", "фебруар", "фебруара",
    ),
    3: (
        "march", "mar",
        "березень", "березня", "бер",
        "март", "марта",
        "marzec", "marca",
        "március", "márc",
        "martie",
        "mart", "marta",
    ),
    4: (
        "april", "apr",
        "квітень", "квітня", "квіт",
        "апрель", "апреля", "апр",
        "kwiecień", "kwietnia", "kwi",
        "április", "ápr",
        "aprilie",
        "aprila", "април", "априла",
    ),
    5: (
        "may",
        "травень", "травня", "трав",
        "май", "мая",
        "maj", "maja",
        "május", "máj",
        "mai",
        "мај", "маја",
    ),
    6: (
        "june", "jun",
        "червень", "червня", "черв",
        "июнь", "июня",
        "czerwiec", "czerwca", "cze",
        "június", "jún",
        "iunie", "iun",
        "juna", "јун", "јуна",
    ),
    7: (
        "july", "jul",
        "липень", "липня", "лип",
        "июль", "июля",
        "lipiec", "lipca", "lip",
        "július", "júl",
        "iulie", "iul",
        "jula", "јул", "јула",
    ),
    8: (
        "august", "aug",
        "серпень", "серпня", "серп",
        "август", "августа", "авг",
        "sierpień", "sierpnia", "sie",
        "augusztus",
        "avgust", "avgusta", "августа",
    ),
    9: (
        "september", "sep", "sept",
        "вересень", "вересня", "вер",
        "сентябрь", "сентября", "сен",
        "wrzesień", "września", "wrz",
        "szeptember", "szept",
        "septembrie",
        "septembar", "septembra", "септембар", "септембра",
    ),
    10: (
        "october", "oct",
        "жовтень", "жовтня", "жовт",
        "октябрь", "октября", "окт",
        "październik", "października", "paź",
        "október", "okt",
        "octombrie",
        "oktobar", "oktobra", "октобар", "октобра",
    ),
    11: (
        "november", "nov",
        "листопад", "листопада", "лист",
        "ноябрь", "ноября", "ноя",
        "listopad", "listopada", "lis",
        "noiembrie", "noi",
        "novembar", "novembra", "новембар", "новембра",
    ),
    12: (
        "december", "dec",
        "грудень", "грудня", "груд",
        "декабрь", "декабря", "декабра", "дек",
        "grudzień", "grudnia", "gru",
        "decembrie",
        "decembar", "decembra", "децембар", "децембра",
    ),
}

MONTHS: dict[str, int] = {}
"""Every lower-case spelling (plus Latin-``j`` variants of Serbian Cyrillic) -> month 1–12."""
for _number, _names in _FORMS.items():
    for _name in _names:
        MONTHS[_name] = _number
        if "ј" in _name:  # Serbian Cyrillic typed with a Latin j
            MONTHS[_name.replace("ј", "j")] = _number

MONTH_PATTERN = "|".join(re.escape(name) for name in sorted(MONTHS, key=len, reverse=True))
"""Regex alternation of every spelling in :data:`MONTHS`, longest first (use with IGNORECASE)."""


def month_number(name: str) -> int | None:
    """Month 1–12 of a month name or abbreviation in any covered language, else None."""
    return MONTHS.get(name.lower().rstrip("."))
