"""Normalisation and change events, on plain calls (no Scrapy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from calls.schema import Call, Deadline, Status
from pipelines.changes import EventKind, diff, events_for
from pipelines.language import detect_language
from pipelines.normalise import normalise

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def call(**fields) -> Call:
    base = {"uid": "s:1", "source": "s", "native_id": "1", "title": "A call for proposals", "url": "https://example.org/1"}
    return Call(**{**base, **fields})


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("Конкурс мікрогрантів для громад Львівщини", "uk"),
        ("Јавни конкурс за доделу бесповратних средстава општинама", "sr-Cyrl"),
        ("Javni konkurs za dodelu bespovratnih sredstava opštinama", "sr-Latn"),
        ("Javni poziv udruženjima, rok 15. decembar 2026. godine", "sr-Latn"),
        ("Nabór wniosków dla gmin przygranicznych", "pl"),
        ("Pályázati felhívás határon átnyúló együttműködésre", "hu"),
        ("Apel de proiecte pentru autoritățile locale", "ro"),
        ("Call for proposals for border municipalities", "en"),
        # by the words, not a letter: one Serbian place name does not make English text Serbian
        ("Support for SMEs in South Bačka district: call for proposals open to municipalities and NGOs", "en"),
        ("Energy efficiency in Łódź and Timișoara: a call for municipal partnerships", "en"),
        ("Konkurs za sufinansiranje projekata u oblasti kulture", "sr-Latn"),  # no diacritic at all
        ("Interreg IPA Hrvatska – Srbija: drugi poziv za dostavu projektnih prijedloga", "sr-Latn"),
        ("Програма Interreg NEXT Польща – Україна оголошує третій конкурс проєктів", "uk"),
        ("Pályázati felhívás a Hungary-Serbia programban: önkormányzatok és civil szervezetek", "hu"),
        ("2026", None),
        ("HORIZON-CL4-2025-04-DATA-03", None),  # an id has no language
    ],
)
def test_detect_language(text, tag):
    assert detect_language(text) == tag


def test_language_from_text_beats_a_wrong_source_default():
    got = normalise(call(title="Јавни позив удружењима грађана", language="sr-Latn"), NOW)
    assert got.language == "sr-Cyrl"


def test_undecided_text_keeps_the_source_language():
    assert normalise(call(title="Конкурс 2027", language="uk"), NOW).language == "uk"


def test_markup_is_stripped_from_title_and_summary():
    got = normalise(call(title="<b>Grants</b> for <script>alert(1)</script>hromadas",
                         summary="<p>Text <img src=x onerror=alert(1)></p>"), NOW)
    assert got.title == "Grants for hromadas"
    assert got.summary == "Text"


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"opens_at": NOW + timedelta(days=5)}, Status.FORTHCOMING),
        ({"deadlines": [Deadline(at=NOW - timedelta(days=1), raw="yesterday")]}, Status.CLOSED),
        ({"deadlines": [Deadline(at=NOW + timedelta(days=9), raw="soon")]}, Status.OPEN),
        ({}, None),
    ],
)
def test_status_derived_where_the_source_is_silent(fields, status):
    assert normalise(call(**fields), NOW).status == status


PASSED, AHEAD = (Deadline(at=NOW - timedelta(days=100), raw="Aug 15, 2026"),
                 Deadline(at=NOW + timedelta(days=9), raw="soon"))


@pytest.mark.parametrize(
    ("said", "deadlines", "status"),
    [
        (Status.OPEN, [PASSED], Status.CLOSED),  # Grants.gov still lists it as "posted"
        (Status.FORTHCOMING, [PASSED], Status.CLOSED),
        (Status.OPEN, [PASSED, AHEAD], Status.OPEN),  # stage 1 passed, stage 2 ahead
        (Status.CLOSED, [AHEAD], Status.CLOSED),  # closed early by its publisher: stays closed
        (Status.WITHDRAWN, [AHEAD], Status.WITHDRAWN),
        (Status.OPEN, [Deadline(at=None, raw="continuously open")], Status.OPEN),  # no date to go by
    ],
)
def test_a_passed_deadline_closes_a_call_whatever_the_source_says(said, deadlines, status):
    assert normalise(call(status=said, deadlines=deadlines), NOW).status == status


def test_deadlines_sorted_and_deduplicated():
    a = Deadline(at=datetime(2027, 2, 3, tzinfo=UTC), raw="3 Feb")
    b = Deadline(at=datetime(2027, 1, 3, tzinfo=UTC), raw="3 Jan")
    got = normalise(call(deadlines=[a, b, a, Deadline(raw="tbc")]), NOW)
    assert [d.raw for d in got.deadlines] == ["3 Jan", "3 Feb", "tbc"]


def deadline(day: int) -> list[Deadline]:
    return [Deadline(at=datetime(2027, 1, day, 17, tzinfo=UTC), raw=f"{day}.01.2027")]


def test_diff_kinds():
    old = call(deadlines=deadline(20), budget=Decimal(100), currency="EUR", status=Status.FORTHCOMING)
    assert [e.kind for e in diff(None, old)] == [EventKind.NEW]
    assert diff(old, old.model_copy(update={"summary": "reworded", "last_seen": NOW})) == []
    later = old.model_copy(update={"deadlines": deadline(27), "budget": Decimal(150), "status": Status.OPEN})
    events = diff(old, later)
    assert [e.kind for e in events] == [EventKind.DEADLINE_EXTENDED, EventKind.BUDGET_CHANGED, EventKind.STATUS_CHANGED]
    assert events[0].old == "2027-01-20T17:00:00+00:00" and events[0].new == "2027-01-27T17:00:00+00:00"
    assert events[1].describe() == "budget changed: 100 EUR → 150 EUR"
    assert [e.kind for e in diff(later, old)][0] == EventKind.DEADLINE_BROUGHT_FORWARD


def test_reappeared():
    old = call(deadlines=deadline(20))
    assert [e.kind for e in events_for(old, old, NOW)] == [EventKind.REAPPEARED]


def test_tracking_parameters_leave_the_link():
    got = normalise(call(url="https://site.org/news/call/?utm_source=rss&utm_medium=feed&p=12#tab-2"), NOW)
    assert got.url == "https://site.org/news/call/?p=12#tab-2"
    assert normalise(call(url="https://site.org/x?grants=slug"), NOW).url == "https://site.org/x?grants=slug"
