"""The eligibility section of a post: who may apply, read where the post says it.

Texts written for these tests in the shape of the sources' posts (donor
announcements, Serbian konkursi, Interreg news).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from calls.extract.eligibility import eligibility_section
from spiders.announcements import text_facts

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.mark.parametrize(("text", "section"), [
    ("Конкурс для громад.\nМета: підтримка людей з інвалідністю.\n\nХто може подати заявку:\n"
     "- громадські організації, зареєстровані в Україні;\n- органи місцевого самоврядування.\n\n"
     "Бюджет:\nдо 500 000 грн.",
     "Хто може подати заявку:\n- громадські організації, зареєстровані в Україні;\n- органи місцевого самоврядування."),
    ("Poziv za projekte.\nPravo učešća imaju udruženja registrovana u Republici Srbiji.\nRok: 30. april 2028.",
     "Pravo učešća imaju udruženja registrovana u Republici Srbiji."),
    ("Јавни конкурс.\nПраво учешћа имају јединице локалне самоуправе са територије АП Војводине.",
     "Право учешћа имају јединице локалне самоуправе са територије АП Војводине."),
    ("Eligibility\nOnly legal entities established in EU Member States and Ukraine are eligible.\n\n"
     "Deadline: 30 April 2028",
     "Eligibility\nOnly legal entities established in EU Member States and Ukraine are eligible."),
    ("Kto może składać wnioski:\n1. organizacje pozarządowe\n2. jednostki samorządu terytorialnego\n\n"
     "Termin: 15 maja 2027",
     "Kto może składać wnioski:\n1. organizacje pozarządowe\n2. jednostki samorządu terytorialnego"),
    ("Ki pályázhat?\nCivil szervezetek és önkormányzatok.\n\nHatáridő: 2027. május 15.",
     "Ki pályázhat?\nCivil szervezetek és önkormányzatok."),
    ("Cine poate aplica:\n- ONG-uri\n- unități administrativ-teritoriale\n\nTermen: 15 mai 2027",
     "Cine poate aplica:\n- ONG-uri\n- unități administrativ-teritoriale"),
])
def test_the_section_under_its_heading(text, section):
    assert eligibility_section(text) == section


def test_no_section_no_guess():
    assert eligibility_section("Services for individuals with disabilities in rural communities.") is None


def test_applicant_types_come_from_the_section_not_from_incidental_words():
    text = ("The programme improves services for individuals with disabilities and their families.\n\n"
            "Who can apply:\n- non-governmental organisations\n- municipalities\n\nDeadline: 30 April 2028")
    facts = text_facts(text, KYIV, "en")
    assert facts["applicant_types"] == ["local-government", "ngo"]
    assert facts["eligibility_text"].startswith("Who can apply:")


def test_without_a_section_the_sentences_about_applying_are_read():
    facts = text_facts("Grants for NGOs and municipalities. Deadline: 30 April 2028", KYIV, "en")
    assert set(facts["applicant_types"]) == {"ngo", "local-government"} and "eligibility_text" not in facts


@pytest.mark.parametrize(("text", "expected"), [
    ("The programme improves services for individuals with disabilities in rural hromadas. "
     "Municipalities and civil society organisations may apply. Deadline: 30 April 2028", ["local-government", "ngo"]),
    ("Проєкт покращить послуги для людей з інвалідністю та шкіл громади. Подати заявку можуть громадські організації.",
     ["ngo"]),
    ("Podrška osobama sa invaliditetom i školama u opštinama Vojvodine. Pravo učešća imaju udruženja građana.",
     ["ngo"]),
    ("Usługi dla osób z niepełnosprawnościami w gminach. Wnioski mogą składać stowarzyszenia i fundacje.", ["ngo"]),
    ("Szolgáltatások fogyatékossággal élő személyeknek a településeken. Pályázhatnak: civil szervezetek.", ["ngo"]),
    ("Servicii pentru persoane cu dizabilități din comune. Pot aplica organizații neguvernamentale.", ["ngo"]),
])
def test_words_about_who_benefits_are_not_who_applies(text, expected):
    """No section: types come from the sentences about applying; people a project serves are not its applicants."""
    assert text_facts(text, KYIV)["applicant_types"] == expected


def test_the_title_says_who_a_call_is_for():
    facts = text_facts("Support for energy-saving renovations. Deadline: 30 April 2028", KYIV, "en",
                       title="Конкурс мікрогрантів для територіальних громад Львівщини")
    assert facts["applicant_types"] == ["local-government"]
