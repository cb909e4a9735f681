"""calls.extract.applicants: applicant types from keyword tables in every source language."""

from __future__ import annotations

import pytest

from calls.extract.applicants import APPLICANT_TYPES, find_applicant_types

CASES = [
    # (language, text, expected types in APPLICANT_TYPES order)
    ("en", "Eligible applicants: local authorities, NGOs and universities.", ["local-government", "ngo", "university"]),
    ("en", "public authorities, bodies governed by public law, non-profit organisations governed by private law",
     ["ngo", "public-body"]),
    ("en", "regional and local authorities, research organisations",
     ["local-government", "regional-government", "research"]),
    ("en", "Zakarpattia oblast state administration and municipalities", ["local-government", "regional-government"]),
    ("en", "SMEs, schools, museums, media outlets and individuals",
     ["sme", "school", "individual", "cultural-institution", "media"]),
    ("en", "civil society organisations (CSOs), charities and private companies", ["ngo", "business"]),
    ("en", "higher education institutions and journalists", ["university", "media"]),
    ("en", "public or private nonprofit entities", ["ngo"]),
    ("uk", "Право на участь мають громадські організації, благодійні фонди та органи місцевого самоврядування.",
     ["local-government", "ngo"]),
    ("uk", "Заявники: ОМС, ГО, ЗВО", ["local-government", "ngo", "university"]),
    ("uk", "територіальні громади Закарпатської області", ["local-government"]),
    ("uk", "ФОП, МСП та заклади вищої освіти", ["sme", "university"]),
    ("uk", "фізичні особи-підприємці", ["sme"]),
    ("uk", "заклади загальної середньої освіти, музеї, бібліотеки та ЗМІ", ["school", "cultural-institution", "media"]),
    ("uk", "обласні державні адміністрації та бюджетні установи", ["regional-government", "public-body"]),
    ("uk", "організації громадянського суспільства з Вінницької області", ["ngo"]),
    ("uk", "наукові установи та фізичні особи", ["research", "individual"]),
    ("sr-Latn", "Pravo učešća imaju jedinice lokalne samouprave (JLS) i udruženja građana.",
     ["local-government", "ngo"]),
    ("sr-Latn", "mala i srednja preduzeća, preduzetnici, škole i fakulteti", ["sme", "university", "school"]),
    ("sr-Latn", "javne ustanove, ustanove kulture i mediji", ["public-body", "cultural-institution", "media"]),
    ("sr-Latn", "opštine i gradovi u AP Vojvodini", ["local-government"]),
    ("sr-Cyrl", "Право учешћа имају општине и удружења.", ["local-government", "ngo"]),
    ("sr-Cyrl", "јединице локалне самоуправе, установе културе, школе",
     ["local-government", "school", "cultural-institution"]),
    ("sr-Cyrl", "привредна друштва и физичка лица", ["individual", "business"]),
    ("pl", "Uprawnione: gminy, organizacje pozarządowe, MŚP, uczelnie.",
     ["local-government", "ngo", "sme", "university"]),
    ("pl", "samorząd województwa, instytucje kultury, osoby fizyczne",
     ["regional-government", "individual", "cultural-institution"]),
    ("hu", "Pályázhatnak: helyi önkormányzatok, civil szervezetek, KKV-k", ["local-government", "ngo", "sme"]),
    ("hu", "megyei önkormányzatok, egyetemek és kutatóintézetek", ["regional-government", "university", "research"]),
    ("ro", "Beneficiari eligibili: UAT, ONG, IMM, universități, școli",
     ["local-government", "ngo", "sme", "university", "school"]),
    ("ro", "consilii județene, instituții publice și persoane fizice",
     ["regional-government", "public-body", "individual"]),
]


@pytest.mark.parametrize(("language", "text", "expected"), CASES, ids=[f"{c[0]}:{c[1][:40]}" for c in CASES])
def test_find_applicant_types(language: str, text: str, expected: list[str]) -> None:
    assert find_applicant_types(text) == expected


NEGATIVE = [
    # (language, text, expected): negated clauses, look-alike words, numbers
    ("uk", "Фізичні особи не можуть бути заявниками. Заявниками можуть бути ГО.", ["ngo"]),
    ("en", "Individuals are not eligible.\nEligible: NGOs", ["ngo"]),
    ("sr-Latn", "Fizička lica ne mogu biti podnosioci prijave; pravo imaju udruženja.", ["ngo"]),
    ("pl", "Osoby fizyczne nie mogą składać wniosków.", []),
    ("en", "EU–Ukraine Association Agreement", []),  # singular "Association" is not an applicant
    ("en", "Follow us on social media", []),
    ("sr-Latn", "Pokrajinski sekretarijat za finansije raspisuje konkurs", []),  # the publisher, not an applicant
    ("uk", "ГОЛОСИ ГРОМАД", []),  # "ГО" inside a capitalised word
    ("uk", "тел. 067 123 45 67", []),
    ("en", "", []),
]


@pytest.mark.parametrize(("language", "text", "expected"), NEGATIVE, ids=[f"{c[0]}:{c[1][:40]}" for c in NEGATIVE])
def test_find_applicant_types_negative(language: str, text: str, expected: list[str]) -> None:
    assert find_applicant_types(text) == expected


def test_result_is_in_vocabulary_order_without_repeats() -> None:
    found = find_applicant_types("universities; NGOs; municipalities; NGOs; universities; SMEs; громадські організації")
    assert found == ["local-government", "ngo", "sme", "university"]
    assert set(found) <= set(APPLICANT_TYPES)


def test_vocabulary_matches_the_schema_list() -> None:
    assert APPLICANT_TYPES == (
        "local-government", "regional-government", "ngo", "sme", "university", "school", "research",
        "public-body", "individual", "business", "cultural-institution", "media",
    )
