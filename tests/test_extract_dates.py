"""calls.extract.dates: one expression, whole texts, deadlines and openings in every source language."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from calls.extract.dates import FoundDate, find_dates, find_deadlines, find_opening, parse_date
from calls.extract.months import month_number
from calls.schema import Deadline

KYIV = ZoneInfo("Europe/Kyiv")
BELGRADE = ZoneInfo("Europe/Belgrade")
BRUSSELS = ZoneInfo("Europe/Brussels")
WARSAW = ZoneInfo("Europe/Warsaw")
BUDAPEST = ZoneInfo("Europe/Budapest")
BUCHAREST = ZoneInfo("Europe/Bucharest")
NEW_YORK = ZoneInfo("America/New_York")


# --------------------------------------------------------------------- parse_date

PARSE_CASES = [
    # (language, text, tz, expected instant)
    ("uk", "до 15 грудня 2026 року", KYIV, datetime(2026, 12, 15, 23, 59, 59, tzinfo=KYIV)),
    ("uk", "«15» грудня 2026 р.", KYIV, datetime(2026, 12, 15, 23, 59, 59, tzinfo=KYIV)),
    ("uk", "Актуально до: 25.12.26", KYIV, datetime(2026, 12, 25, 23, 59, 59, tzinfo=KYIV)),
    ("uk", "15 грудня 2026 року до 16:00 за київським часом", BRUSSELS, datetime(2026, 12, 15, 16, 0, tzinfo=KYIV)),
    ("uk", "до 16:00 29 січня 2026 р.", KYIV, datetime(2026, 1, 29, 16, 0, tzinfo=KYIV)),
    ("uk", "30 листопада 2026 року о 18.00", KYIV, datetime(2026, 11, 30, 18, 0, tzinfo=KYIV)),
    ("ru", "до 15 декабря 2026 г.", KYIV, datetime(2026, 12, 15, 23, 59, 59, tzinfo=KYIV)),
    ("sr-Latn", "rok: 15. decembar 2026.", BELGRADE, datetime(2026, 12, 15, 23, 59, 59, tzinfo=BELGRADE)),
    ("sr-Latn", "10.03.2023. godine", BELGRADE, datetime(2023, 3, 10, 23, 59, 59, tzinfo=BELGRADE)),
    ("sr-Latn", "do 31. marta 2026. godine do 15 časova", BELGRADE, datetime(2026, 3, 31, 15, 0, tzinfo=BELGRADE)),
    ("sr-Latn", "zaključno sa 15. decembrom 2026.", BELGRADE, None),  # instrumental case is not a month form we read
    ("sr-Cyrl", "рок: 15. децембар 2026. године", BELGRADE, datetime(2026, 12, 15, 23, 59, 59, tzinfo=BELGRADE)),
    ("sr-Cyrl", "до 15. децембра 2026. године", BELGRADE, datetime(2026, 12, 15, 23, 59, 59, tzinfo=BELGRADE)),
    ("sr-Cyrl", "до 15. декабра 2026.", BELGRADE, datetime(2026, 12, 15, 23, 59, 59, tzinfo=BELGRADE)),
    ("sr-Cyrl", "1. мај 2026.", BELGRADE, datetime(2026, 5, 1, 23, 59, 59, tzinfo=BELGRADE)),
    ("sr-Cyrl", "1. маj 2026.", BELGRADE, datetime(2026, 5, 1, 23, 59, 59, tzinfo=BELGRADE)),  # Latin j typed
    ("pl", "termin składania wniosków: 15 grudnia 2026 r.", WARSAW, datetime(2026, 12, 15, 23, 59, 59, tzinfo=WARSAW)),
    ("pl", "do dnia 15.12.2026 r. do godz. 16:00", WARSAW, datetime(2026, 12, 15, 16, 0, tzinfo=WARSAW)),
    ("pl", "31 października 2026 r.", WARSAW, datetime(2026, 10, 31, 23, 59, 59, tzinfo=WARSAW)),
    ("hu", "határidő: 2026. december 15.", BUDAPEST, datetime(2026, 12, 15, 23, 59, 59, tzinfo=BUDAPEST)),
    ("hu", "2026. dec. 15-ig 12 óráig", BUDAPEST, datetime(2026, 12, 15, 12, 0, tzinfo=BUDAPEST)),
    ("hu", "2026.12.15.", BUDAPEST, datetime(2026, 12, 15, 23, 59, 59, tzinfo=BUDAPEST)),
    ("ro", "termen limită: 15 decembrie 2026, ora 16:00", BUCHAREST, datetime(2026, 12, 15, 16, 0, tzinfo=BUCHAREST)),
    ("ro", "31 martie 2026 ora 12:00", BUCHAREST, datetime(2026, 3, 31, 12, 0, tzinfo=BUCHAREST)),
    ("en", "31.08.2026, 16:00 CEST", KYIV, datetime(2026, 8, 31, 16, 0, tzinfo=BRUSSELS)),
    ("en", "November 30, 2025, 3:00 p.m. (CET)", KYIV, datetime(2025, 11, 30, 15, 0, tzinfo=BRUSSELS)),
    ("en", "3 April 2024, 14:00 CET", KYIV, datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS)),
    ("en", "April 3, 2024, 14:00 PM CET", KYIV, datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS)),  # 24-hour time + PM
    ("en", "3 April 2024, 14:00 Central European Time (CET)", KYIV, datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS)),
    ("en", "15 February 2026", BRUSSELS, datetime(2026, 2, 15, 23, 59, 59, tzinfo=BRUSSELS)),
    ("en", "15 February 2026 15:00 CET", KYIV, datetime(2026, 2, 15, 15, 0, tzinfo=BRUSSELS)),
    ("en", "2026-02-15", KYIV, datetime(2026, 2, 15, 23, 59, 59, tzinfo=KYIV)),
    ("en", "Deadline: 30-Nov-2025", KYIV, datetime(2025, 11, 30, 23, 59, 59, tzinfo=KYIV)),
    ("en", "29 Jan 2026 (16:00 Kyiv time)", BRUSSELS, datetime(2026, 1, 29, 16, 0, tzinfo=KYIV)),
    ("en", "Sept. 1st, 2026 at 5 pm EET", BRUSSELS, datetime(2026, 9, 1, 17, 0, tzinfo=KYIV)),
    ("en", "12 May 2026, 12:00 AM", KYIV, datetime(2026, 5, 12, 0, 0, tzinfo=KYIV)),
    ("en", "15 January 2027 at 17:00 (Brussels time)", KYIV, datetime(2027, 1, 15, 17, 0, tzinfo=BRUSSELS)),
    ("en", "30 September 2026 23:59 UTC", KYIV, datetime(2026, 9, 30, 23, 59, tzinfo=UTC)),
    ("en", "16:00 GMT+2, 15 December 2026", BRUSSELS, datetime(2026, 12, 15, 14, 0, tzinfo=UTC)),
    ("en", "2024-04-18T19:00:00.000+0200", BRUSSELS, datetime(2024, 4, 18, 17, 0, tzinfo=UTC)),
    ("en", "2025-10-02T00:00:00.000+0000", BRUSSELS, datetime(2025, 10, 2, 0, 0, tzinfo=UTC)),
    ("en", "2026-02-15 10:30 CET", KYIV, datetime(2026, 2, 15, 10, 30, tzinfo=BRUSSELS)),
    ("sr-Latn", "do 15. marta", BELGRADE, None),
    ("en", "Aug 03, 2026 12:00:00 AM EDT", KYIV, datetime(2026, 8, 3, 0, 0, tzinfo=NEW_YORK)),
    ("en", "15/02/2026", KYIV, datetime(2026, 2, 15, 23, 59, 59, tzinfo=KYIV)),
    ("en", "04/30/2026", KYIV, datetime(2026, 4, 30, 23, 59, 59, tzinfo=KYIV)),  # day cannot be 30th month
    ("en", "03/04/2026", KYIV, datetime(2026, 4, 3, 23, 59, 59, tzinfo=KYIV)),  # ambiguous: day first
    ("en", "Wednesday, 15 July 2026", KYIV, datetime(2026, 7, 15, 23, 59, 59, tzinfo=KYIV)),
    ("en", "3 April 2024\u200b, 14:00 CET", KYIV, datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS)),  # zero-width space
    ("en", "3\u00a0April\u00a02024‚Äč", KYIV, datetime(2024, 4, 3, 23, 59, 59, tzinfo=KYIV)),  # nbsp + mojibake
]


@pytest.mark.parametrize(("language", "text", "tz", "expected"), PARSE_CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in PARSE_CASES])
def test_parse_date(language: str, text: str, tz: ZoneInfo, expected: datetime | None) -> None:
    got = parse_date(text, tz)
    assert got == expected
    if got is not None:
        assert got.tzinfo is not None


NOT_DATES = [
    # (language, text): no date, no year, impossible date, or a number that only looks like one
    ("uk", "до 15 грудня"),  # no year: never guessed
    ("en", "December 15"),
    ("sr-Latn", "do 15. decembra"),
    ("uk", "тел. +380 44 123 45 67"),
    ("uk", "тел. (044) 234-56-78, 067-123-45-67"),
    ("sr-Latn", "Tel: +381 21 487 4000"),
    ("en", "Project no. 2024-1-UA01-KA220-YOU-000123456"),
    ("en", "EuropeAid/187605/DD/ACT/UA"),
    ("en", "HUSRB/1601/12/2026"),
    ("en", "Interreg 2021-2027"),
    ("en", "31.02.2026"),
    ("en", "Call 12.34.56"),
    ("en", "EUR 10.000.000,00"),
    ("en", "May 2026"),
    ("en", ""),
]


@pytest.mark.parametrize(("language", "text"), NOT_DATES, ids=[f"{c[0]}:{c[1]}" for c in NOT_DATES])
def test_parse_date_none(language: str, text: str) -> None:
    assert parse_date(text, KYIV) is None


def test_parse_date_start_of_day() -> None:
    assert parse_date("15 February 2026", KYIV, end_of_day=False) == datetime(2026, 2, 15, 0, 0, tzinfo=KYIV)


def test_parse_date_keeps_a_given_time_regardless_of_end_of_day() -> None:
    assert parse_date("15.02.2026 10:30", KYIV, end_of_day=False) == datetime(2026, 2, 15, 10, 30, tzinfo=KYIV)


def test_parse_date_zone_word_anywhere_in_the_expression_wins() -> None:
    assert parse_date("15 грудня 2026 року (за київським часом)", BRUSSELS) == datetime(
        2026, 12, 15, 23, 59, 59, tzinfo=KYIV
    )


def test_parse_date_returns_the_callers_zone() -> None:
    got = parse_date("3 April 2024, 14:00 CET", KYIV)
    assert got is not None and got.tzinfo == KYIV and got.hour == 15


# --------------------------------------------------------------------- find_dates

DANUBE = (
    "Second call\n\n"
    "Originally scheduled for March 29, 2024, the new submission deadline is now set for "
    "April 3, 2024, 14:00 PM CET.\n\n"
    "The 2nd call for proposals of the Danube Region Programme is open from 2 November 2023 until 3 April 2024. "
    "The 2nd call is organised according to a one-step procedure where the applicants have to submit an application "
    "package, including a fully developed Application Form (AF), through Jems by 3 April 2024, 14:00 Central European "
    "Time (CET).\n\nEligible areas of support: \n\n"
    "The 2nd call for proposals is open for applicants to the programme specific objectives (SO) SO2.2, SO2.3, SO2.4, "
    "SO3.1, SO3.2, SO3.3 and to SO 4.2.:‚Äč\n"
)

INTERREG_EU = (
    "Details\n\t\t\t\t\t\tDeadline for application\n\t\t\t\t\t\t\n\t\t\t\t\t15 February 2026\n"
    "\t\t\t\t\t\tOpen for application\n\t\t\t\t\t\t\n\t\t\t\n\t\t\t\tExplore the call\n\t\t17 September 2025\nThemes\n"
)


def test_find_dates_danube_sample_kinds() -> None:
    found = find_dates(DANUBE, BELGRADE, "en")
    assert [(f.raw, f.kind, f.has_time) for f in found] == [
        ("March 29, 2024", "other", False),
        ("April 3, 2024, 14:00 PM CET", "deadline", True),
        ("2 November 2023", "opening", False),
        ("3 April 2024", "deadline", False),
        ("3 April 2024, 14:00 Central European Time (CET)", "deadline", True),
    ]
    assert found[1].at == datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS)


def test_find_dates_interreg_eu_label_value_layout() -> None:
    found = find_dates(INTERREG_EU, BRUSSELS, "en")
    assert found == [
        FoundDate(datetime(2026, 2, 15, 23, 59, 59, tzinfo=BRUSSELS), "15 February 2026", "deadline", False),
        FoundDate(datetime(2025, 9, 17, 0, 0, tzinfo=BRUSSELS), "17 September 2025", "opening", False),
    ]


def test_find_dates_reads_dates_glued_to_labels_by_inline_markup() -> None:
    text = "Details\nDeadline for application3 April 2027\nOpen for applicationExplore the call2 November 2026\nThemes"
    assert [(f.raw, f.kind, f.at) for f in find_dates(text, BRUSSELS, "en")] == [
        ("3 April 2027", "deadline", datetime(2027, 4, 3, 23, 59, 59, tzinfo=BRUSSELS)),
        ("2 November 2026", "opening", datetime(2026, 11, 2, 0, 0, tzinfo=BRUSSELS)),
    ]


def test_find_dates_yearless_date_is_found_without_instant() -> None:
    assert find_dates("Deadline: 15 December", KYIV, "en") == [FoundDate(None, "15 December", "deadline", False)]


def test_find_dates_raw_is_the_published_text_with_invisible_characters() -> None:
    (found,) = find_dates("Deadline: 3\u200b April 2024‚Äč, 14:00 CET.", KYIV, "en")
    assert found.raw == "3\u200b April 2024‚Äč, 14:00 CET"
    assert found.at == datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", datetime(2026, 5, 4, 23, 59, 59, tzinfo=KYIV)), ("en-US", datetime(2026, 4, 5, 23, 59, 59, tzinfo=KYIV))],
)
def test_find_dates_ambiguous_slashes_month_first_only_for_en_us(language: str, expected: datetime) -> None:
    (found,) = find_dates("Close date: 04/05/2026", KYIV, language)
    assert found.at == expected


def test_find_dates_skips_phone_and_project_numbers() -> None:
    text = "Контакти: +380 67 123 45 67, тел. (044) 234-56-78; проєкт № 2024-1-UA01-KA220-000123; HUSRB/1601."
    assert find_dates(text, KYIV, "uk") == []


KIND_CASES = [
    # (language, text, [(raw, kind), ...])
    ("uk", "Прийом заявок триває з 1 грудня 2026 року до 15 січня 2027 року.",
     [("1 грудня 2026 року", "opening"), ("15 січня 2027 року", "deadline")]),
    ("uk", "Опубліковано 1 листопада 2026. Кінцевий термін подання заявок: 15.12.2026.",
     [("1 листопада 2026", "other"), ("15.12.2026", "deadline")]),
    ("sr-Latn", "Konkurs je otvoren od 1. decembra 2026. godine. Rok za prijavu je 15. januar 2027.",
     [("1. decembra 2026. godine", "opening"), ("15. januar 2027", "deadline")]),
    ("sr-Cyrl", "Конкурс је отворен од 1. децембра 2026. Рок за пријаву: 15. јануар 2027.",
     [("1. децембра 2026", "opening"), ("15. јануар 2027", "deadline")]),
    ("pl", "Nabór wniosków od 1 grudnia 2026 r. do 15 stycznia 2027 r.",
     [("1 grudnia 2026 r.", "opening"), ("15 stycznia 2027 r.", "deadline")]),
    ("hu", "A pályázatok benyújtása 2026. december 1-jétől 2027. január 15-ig lehetséges.",
     [("2026. december 1-jétől", "opening"), ("2027. január 15-ig", "deadline")]),
    ("ro", "Depunerea cererilor: începând cu 1 decembrie 2026 până la 15 ianuarie 2027, ora 16:00",
     [("1 decembrie 2026", "opening"), ("15 ianuarie 2027, ora 16:00", "deadline")]),
    ("en", "The call opens on 1 December 2026 and closes on 15 January 2027.",
     [("1 December 2026", "opening"), ("15 January 2027", "deadline")]),
    ("en", "Deadline: 15 December 2026. Info day: 1 December 2026.",
     [("15 December 2026", "deadline"), ("1 December 2026", "other")]),
    ("en", "Published by the Ministry on 1 May 2026.", [("1 May 2026", "other")]),
    ("en", "Results will be announced by 15 January 2027.", [("15 January 2027", "other")]),
    ("sr-Latn", "Rezultati konkursa za sufinansiranje projekata u 2026. godini. "
                "Lista odobrenih projekata od 01.11.2026. godine.",
     [("01.11.2026. godine", "other")]),
    ("sr-Latn", "Realizacija projekta do 31.12.2027. godine.", [("31.12.2027. godine", "other")]),
    ("en", "The call, published in March, is open until 3 April 2024.", [("3 April 2024", "deadline")]),
    ("en", "The call is open until 3 April 2024.", [("3 April 2024", "deadline")]),
    ("en", "Applications open: 1 March 2026 – 30 April 2026 (17:00 CET).",
     [("1 March 2026", "opening"), ("30 April 2026 (17:00 CET)", "deadline")]),
    ("sr-Latn", "Konkurs je otvoren do 10.04.2023. godine. Rešenje br. 128-401-1234/2023-05 od 01.03.2023.",
     [("10.04.2023. godine", "deadline"), ("01.03.2023", "other")]),
    ("uk", "Наказ № 123 від 01.03.2026. Заявки приймаються з 05.03.2026.",
     [("01.03.2026", "other"), ("05.03.2026", "opening")]),
]


@pytest.mark.parametrize(("language", "text", "expected"), KIND_CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in KIND_CASES])
def test_find_dates_kinds(language: str, text: str, expected: list[tuple[str, str]]) -> None:
    tz = {"sr-Latn": BELGRADE, "sr-Cyrl": BELGRADE, "pl": WARSAW, "hu": BUDAPEST, "ro": BUCHAREST}.get(language, KYIV)
    assert [(f.raw, f.kind) for f in find_dates(text, tz, language)] == expected


# ----------------------------------------------------------------- find_deadlines


def test_find_deadlines_danube_returns_only_the_new_deadline() -> None:
    assert find_deadlines(DANUBE, BELGRADE, "en") == [
        Deadline(at=datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS), raw="April 3, 2024, 14:00 PM CET",
                 day=date(2024, 4, 3), clock=time(14, 0), zone="Europe/Belgrade")  # CET is Belgrade's own clock
    ]


def test_find_deadlines_original_sentence_only() -> None:
    text = ("Originally scheduled for March 29, 2024, the new submission deadline is now set for "
            "April 3, 2024, 14:00 PM CET")
    (deadline,) = find_deadlines(text, BRUSSELS, "en")
    assert deadline.at == datetime(2024, 4, 3, 14, 0, tzinfo=BRUSSELS)
    assert deadline.raw == "April 3, 2024, 14:00 PM CET"


DEADLINE_CASES = [
    # (language, text, tz, [(instant, label), ...]) in chronological order
    ("en", "Deadlines: 15 May 2027 (stage 2) and 15 January 2027, 17:00 CET (stage 1).", KYIV,
     [(datetime(2027, 1, 15, 17, 0, tzinfo=BRUSSELS), "stage 1"),
      (datetime(2027, 5, 15, 23, 59, 59, tzinfo=KYIV), "stage 2")]),
    ("sr-Latn", "Rok za prijavu: prva faza 15.01.2027, druga faza 15.05.2027.", BELGRADE,
     [(datetime(2027, 1, 15, 23, 59, 59, tzinfo=BELGRADE), "stage 1"),
      (datetime(2027, 5, 15, 23, 59, 59, tzinfo=BELGRADE), "stage 2")]),
    ("uk", "Кінцевий термін подання продовжено до 20 грудня 2026 року (замість 10 грудня 2026 року).", KYIV,
     [(datetime(2026, 12, 20, 23, 59, 59, tzinfo=KYIV), None)]),
    ("sr-Latn", "Rok je produžen: umesto 1. decembra 2026. novi rok je 15. decembar 2026.", BELGRADE,
     [(datetime(2026, 12, 15, 23, 59, 59, tzinfo=BELGRADE), None)]),
    ("en", "Deadline extended from 29 March 2024 to 3 April 2024.", BRUSSELS,
     [(datetime(2024, 4, 3, 23, 59, 59, tzinfo=BRUSSELS), None)]),
    ("en", "Cut-off 1: 15 March 2027; cut-off 2: 15 September 2027.", BRUSSELS,
     [(datetime(2027, 3, 15, 23, 59, 59, tzinfo=BRUSSELS), "cut-off 1"),
      (datetime(2027, 9, 15, 23, 59, 59, tzinfo=BRUSSELS), "cut-off 2")]),
    ("en", "Deadline: 30-Nov-2025", KYIV, [(datetime(2025, 11, 30, 23, 59, 59, tzinfo=KYIV), None)]),
    ("uk", "Актуально до: 25.12.26", KYIV, [(datetime(2026, 12, 25, 23, 59, 59, tzinfo=KYIV), None)]),
    ("hu", "Beadási határidő: 2026. december 15. 12:00", BUDAPEST,
     [(datetime(2026, 12, 15, 12, 0, tzinfo=BUDAPEST), None)]),
    ("pl", "Termin składania wniosków: 15 grudnia 2026 r., godz. 15:00", WARSAW,
     [(datetime(2026, 12, 15, 15, 0, tzinfo=WARSAW), None)]),
    ("ro", "Data limită de depunere: 15.12.2026, ora 16:00", BUCHAREST,
     [(datetime(2026, 12, 15, 16, 0, tzinfo=BUCHAREST), None)]),
    ("en", "Deadline: 29 Jan 2026 (16:00 Kyiv time); originally 30 Nov 2025, 15:00 CET.", BRUSSELS,
     [(datetime(2026, 1, 29, 16, 0, tzinfo=KYIV), None)]),
    ("en", "Published 1 October 2026. Applications accepted until 1 December 2026.", KYIV,
     [(datetime(2026, 12, 1, 23, 59, 59, tzinfo=KYIV), None)]),
]


@pytest.mark.parametrize(("language", "text", "tz", "expected"), DEADLINE_CASES,
                         ids=[f"{c[0]}:{c[1][:40]}" for c in DEADLINE_CASES])
def test_find_deadlines(language: str, text: str, tz: ZoneInfo, expected: list[tuple[datetime, str | None]]) -> None:
    assert [(d.at, d.label) for d in find_deadlines(text, tz, language)] == expected


def test_find_deadlines_merges_repeats_and_prefers_the_timed_one() -> None:
    text = "Deadline: 15 December 2026. Submit by 15 December 2026, 16:00 CET. Deadline 15 December 2026, 16:00 CET."
    assert find_deadlines(text, KYIV, "en") == [
        Deadline(at=datetime(2026, 12, 15, 16, 0, tzinfo=BRUSSELS), raw="15 December 2026, 16:00 CET",
                 day=date(2026, 12, 15), clock=time(16, 0), zone="Europe/Brussels")  # the zone the text names, not Kyiv
    ]


def test_find_deadlines_yearless_only_when_nothing_dated() -> None:
    assert find_deadlines("Rok za prijavu: 15. decembar", BELGRADE, "sr-Latn") == [
        Deadline(at=None, raw="15. decembar")]
    assert [d.raw for d in find_deadlines("Rok: 15. decembar; rok: 20. decembar 2026.", BELGRADE)] == [
        "20. decembar 2026"]


def test_find_deadlines_none_in_text_without_deadline() -> None:
    assert find_deadlines("Published on 1 May 2026 by the Ministry.", KYIV, "en") == []


# ------------------------------------------------------------------- find_opening


OPENING_CASES = [
    ("en", DANUBE, BELGRADE, datetime(2023, 11, 2, 0, 0, tzinfo=BELGRADE), "2 November 2023"),
    ("en", INTERREG_EU, BRUSSELS, datetime(2025, 9, 17, 0, 0, tzinfo=BRUSSELS), "17 September 2025"),
    ("uk", "Прийом заявок з 1 грудня 2026 року до 15 січня 2027 року", KYIV, datetime(2026, 12, 1, 0, 0, tzinfo=KYIV),
     "1 грудня 2026 року"),
    ("sr-Latn", "Početak prijava: 01.12.2026. u 10:00", BELGRADE, datetime(2026, 12, 1, 10, 0, tzinfo=BELGRADE),
     "01.12.2026. u 10:00"),
    ("pl", "Nabór od 1 grudnia 2026 r.", WARSAW, datetime(2026, 12, 1, 0, 0, tzinfo=WARSAW), "1 grudnia 2026 r."),
]


@pytest.mark.parametrize(("language", "text", "tz", "at", "raw"), OPENING_CASES,
                         ids=[f"{c[0]}:{c[1][:30]}" for c in OPENING_CASES])
def test_find_opening(language: str, text: str, tz: ZoneInfo, at: datetime, raw: str) -> None:
    opening = find_opening(text, tz, language)
    assert opening is not None
    assert (opening.at, opening.raw, opening.kind) == (at, raw, "opening")


def test_find_opening_none_without_opening_cue() -> None:
    assert find_opening("Deadline: 15 December 2026", KYIV, "en") is None


# ----------------------------------------------------------------- month names

MONTH_FORMS = [
    # (language, spelling, month)
    ("uk", "грудня", 12), ("uk", "грудень", 12), ("uk", "травня", 5), ("uk", "листопада", 11),
    ("ru", "декабря", 12), ("sr-Cyrl", "декабра", 12), ("sr-Cyrl", "децембра", 12), ("sr-Cyrl", "јун", 6),
    ("sr-Cyrl", "мај", 5), ("sr-Latn", "decembra", 12), ("sr-Latn", "avgusta", 8), ("sr-Latn", "mart", 3),
    ("pl", "grudnia", 12), ("pl", "października", 10), ("pl", "listopad", 11), ("hu", "december", 12),
    ("hu", "márc.", 3), ("ro", "decembrie", 12), ("ro", "ianuarie", 1), ("en", "Sept.", 9), ("en", "DECEMBER", 12),
]


@pytest.mark.parametrize(("language", "name", "number"), MONTH_FORMS, ids=[f"{c[0]}:{c[1]}" for c in MONTH_FORMS])
def test_month_number(language: str, name: str, number: int) -> None:
    assert month_number(name) == number


def test_month_number_unknown() -> None:
    assert month_number("Deadline") is None


# ------------------------------------------------------------- pathological input


@pytest.mark.parametrize(
    "text",
    ["a" * 50_000, "1." * 25_000, "100 " * 10_000, "12:00 " * 10_000, "15 15 " * 10_000, "May " * 10_000],
    ids=["one-long-word", "dots", "spaced-numbers", "times", "days", "month-words"],
)
def test_long_odd_input_yields_no_date(text: str) -> None:
    """Long runs of date-like pieces are not dates (their linear cost is measured in bench/bench_extract.py)."""
    assert find_dates(text, KYIV) == []
    assert parse_date(text, KYIV) is None


def test_two_digit_year_after_a_month_name_with_at_sign_time():
    """UNDP notices: "15-Dec-26 @ 11:59 PM"; "15-Dec" alone stays yearless."""
    ny = ZoneInfo("America/New_York")
    assert parse_date("15-Dec-26 @ 11:59 PM", ny) == datetime(2026, 12, 15, 23, 59, tzinfo=ny)
    assert parse_date("15-Dec", ny) is None
