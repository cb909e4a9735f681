"""Property-based tests (hypothesis) of the normalisers every scraped value goes through.

Whatever text a site sends, the date, money and text normalisers answer without raising, and what they
answer is within the schema's bounds; a call survives its JSON round trip unchanged. Examples mix the
scripts and formats the region's sites use with arbitrary Unicode.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.extract.dates import parse_date, parse_deadline
from calls.extract.money import find_budget, find_grant_range
from calls.schema import MONEY_MAX, Call, Deadline, Status
from calls.text import html_to_text

KYIV = ZoneInfo("Europe/Kyiv")
WORDS = st.sampled_from([
    "Deadline:", "Rok:", "Кінцевий термін:", "Рок за пријаве:", "Határidő:", "Termen limită:", "Termin:",
    "Budget", "EUR", "€", "млн", "грн", "dinara", "millió", "milioane", "30", "1.5", "2,000,000", "10^28",
    "1" + "0" * 40, "-5", "31", "12", "2026", "9999", "0", "грудня", "decembar", "december", "mai",
    "17:00", "CET", "до", "od", "to", "–", ".", ",", "/", "<b>", "</b>", "<div>", "&amp;", "&#0;", "\u200b",
])
TEXTS = st.one_of(st.lists(WORDS, max_size=25).map(" ".join), st.text(max_size=300))
FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TEXTS)
def test_dates_never_raise_and_stay_aware(text):
    moment = parse_date(text, KYIV)
    assert moment is None or moment.tzinfo is not None
    deadline = parse_deadline(text, KYIV)
    assert isinstance(deadline, Deadline)
    assert deadline.at is None or 1990 <= deadline.at.year <= 2100


@FAST
@given(TEXTS)
def test_money_never_raises_and_is_a_number(text):
    for amount in (find_budget(text), *find_grant_range(text)):
        assert amount is None or (amount.value.is_finite() and amount.value >= 0)


@FAST
@given(TEXTS)
def test_html_to_text_never_raises_and_leaves_no_markup(text):
    plain = html_to_text(text, 200)
    assert len(plain) <= 200 and "<script" not in plain.lower() and "\x00" not in plain


AMOUNTS = st.one_of(st.none(), st.decimals(min_value=0, max_value=MONEY_MAX, allow_nan=False, places=2))
MOMENTS = st.one_of(st.none(), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31),
                                            timezones=st.just(UTC)))


@FAST
@given(title=st.text(min_size=1, max_size=80).filter(str.strip), budget=AMOUNTS, opens=MOMENTS,
       status=st.one_of(st.none(), st.sampled_from(list(Status))),
       raw=st.text(max_size=40))
def test_a_call_survives_its_json_round_trip(title, budget, opens, status, raw):
    call = Call(uid="x:1", source="x", native_id="1", title=title, url="https://x.example/1", budget=budget,
                opens_at=opens, status=status, deadlines=[Deadline(raw=raw)])
    assert Call.from_json(call.to_json()) == call


def test_deeply_nested_markup_keeps_its_words():
    """100,000 nested <div>s (a hostile post) are read linearly and lose nothing."""
    assert html_to_text("<div>" * 100_000 + "Deadline 1 May 2027" + "</div>" * 100_000) == "Deadline 1 May 2027"


def test_a_decimal_amount_round_trips_exactly():
    call = Call(uid="x:1", source="x", native_id="1", title="t", url="https://x.example/1",
                budget=Decimal("28500000.50"))
    assert Call.from_json(call.to_json()).budget == Decimal("28500000.50")
