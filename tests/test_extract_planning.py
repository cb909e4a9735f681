"""Planning wording makes a post forthcoming when it publishes no dates (texts written for these tests)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from calls.extract.planning import find_planned
from calls.schema import Status
from spiders.announcements import text_facts

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.mark.parametrize("text", [
    "The launch of the call is projected to the second part of 2025.",
    "The second call for proposals is expected to be launched in spring 2027.",
    "The small projects call will open in March 2027.",
    "Конкурс планується оголосити у березні 2027 року.",
    "Очікується оголошення нового конкурсу для громад.",
    "Poziv će biti raspisan u aprilu 2027.",
    "Позив ће бити објављен у априлу.",
    "Nabór zostanie ogłoszony w maju 2027 r.",
    "A felhívás várhatóan júniusban jelenik meg.",
    "Apelul va fi lansat în iulie 2027.",
])
def test_planning_wording_in_every_language(text):
    assert find_planned(text)


@pytest.mark.parametrize("text", [
    "Projects are expected to start in 2027.",
    "The call is open until 30 April 2028.",
    "Results will be published in June.",
    "Результати буде оголошено у червні.",
    "Rezultati će biti objavljeni u junu.",
])
def test_other_futures_are_not_a_call_to_come(text):
    assert find_planned(text) is None


def test_a_planned_call_without_dates_is_forthcoming():
    facts = text_facts("Interreg NEXT: the second call is expected to be launched in the second half of 2027.", KYIV,
                       "en")
    assert facts["status"] is Status.FORTHCOMING


def test_dates_decide_when_there_are_any():
    facts = text_facts("The call is expected to open soon. Deadline: 30 April 2028.", KYIV, "en")
    assert "status" not in facts and facts["deadlines"]
