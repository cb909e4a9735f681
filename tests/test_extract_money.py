"""calls.extract.money: amounts, budgets, grant ranges and co-financing in every source language."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calls.extract.money import Amount, find_budget, find_cofinancing, find_grant_range, parse_amount

AMOUNT_CASES = [
    # (language, text, value, currency, raw)
    ("en", "81,11 MEUR", "81110000", "EUR", "81,11 MEUR"),
    ("en", "81.11 MEUR", "81110000", "EUR", "81.11 MEUR"),
    ("en", "EUR 28.5M", "28500000", "EUR", "EUR 28.5M"),
    ("en", "EUR 28.5 million", "28500000", "EUR", "EUR 28.5 million"),
    ("en", "€ 1.5 million", "1500000", "EUR", "€ 1.5 million"),
    ("en", "€1,500,000.00", "1500000", "EUR", "€1,500,000.00"),
    ("en", "$50,000", "50000", "USD", "$50,000"),
    ("en", "US$ 250,000", "250000", "USD", "US$ 250,000"),
    ("en", "EUR 300k", "300000", "EUR", "EUR 300k"),
    ("en", "200 000 – 2 500 000 EUR", "2500000", "EUR", "200 000 – 2 500 000 EUR"),  # range: upper end
    ("en", "1–2 million EUR", "2000000", "EUR", "1–2 million EUR"),
    ("en", "GBP 10,000", "10000", "GBP", "GBP 10,000"),
    ("en", "NOK 2 million", "2000000", "NOK", "NOK 2 million"),
    ("en", "In 2024 EUR 5 million were paid", "5000000", "EUR", "EUR 5 million"),  # the year is not the sum
    ("uk", "5 млн грн", "5000000", "UAH", "5 млн грн"),
    ("uk", "1,5 млн гривень", "1500000", "UAH", "1,5 млн гривень"),
    ("uk", "1 500 000 гривень", "1500000", "UAH", "1 500 000 гривень"),
    ("uk", "15 тис. грн", "15000", "UAH", "15 тис. грн"),
    ("uk", "до 20 000 євро", "20000", "EUR", "20 000 євро"),
    ("uk", "50 000 доларів США", "50000", "USD", "50 000 доларів"),
    ("sr-Latn", "10.000.000,00 dinara", "10000000", "RSD", "10.000.000,00 dinara"),
    ("sr-Latn", "RSD 1.000.000", "1000000", "RSD", "RSD 1.000.000"),
    ("sr-Latn", "2,5 miliona dinara", "2500000", "RSD", "2,5 miliona dinara"),
    ("sr-Latn", "50.000 evra", "50000", "EUR", "50.000 evra"),
    ("sr-Cyrl", "10.000.000,00 динара", "10000000", "RSD", "10.000.000,00 динара"),
    ("sr-Cyrl", "3 милиона динара", "3000000", "RSD", "3 милиона динара"),
    ("pl", "2 mln zł", "2000000", "PLN", "2 mln zł"),
    ("pl", "PLN 150 000", "150000", "PLN", "PLN 150 000"),
    ("pl", "500 tys. złotych", "500000", "PLN", "500 tys. złotych"),
    ("hu", "500 000 HUF", "500000", "HUF", "500 000 HUF"),
    ("hu", "30 millió Ft", "30000000", "HUF", "30 millió Ft"),
    ("ro", "100 000 RON lei", "100000", "RON", "100 000 RON"),
    ("ro", "100.000 lei", "100000", "RON", "100.000 lei"),
    ("ro", "2 milioane lei", "2000000", "RON", "2 milioane lei"),
    ("en", "EUR\u00a0200\u00a0000", "200000", "EUR", "EUR\u00a0200\u00a0000"),
]


@pytest.mark.parametrize(("language", "text", "value", "currency", "raw"), AMOUNT_CASES,
                         ids=[f"{c[0]}:{c[1]}" for c in AMOUNT_CASES])
def test_parse_amount(language: str, text: str, value: str, currency: str, raw: str) -> None:
    assert parse_amount(text) == Amount(Decimal(value), currency, raw)


NOT_AMOUNTS = [
    ("uk", "тел. 067 123 45 67"),
    ("uk", "+380 (44) 254-19-80"),
    ("sr-Latn", "Tel: +381 21 487 4000"),
    ("en", "EuropeAid/187605/DD/ACT/UA"),
    ("en", "Project no. 2024-1-UA01-KA220-YOU-000123456"),
    ("en", "HUSRB/1601"),
    ("en", "Interreg 2021-2027, 15 February 2026"),
    ("en", "90% co-financing"),
    ("en", "200 000 partners"),
    ("en", "The European Union"),
    ("en", ""),
]


@pytest.mark.parametrize(("language", "text"), NOT_AMOUNTS, ids=[f"{c[0]}:{c[1]}" for c in NOT_AMOUNTS])
def test_parse_amount_none(language: str, text: str) -> None:
    assert parse_amount(text) is None


BUDGET_CASES = [
    # (language, text, value, currency)
    ("en", "The total available EU contribution for the call is EUR 28.5 million, to support projects.", "28500000",
     "EUR"),
    ("en", "Budget of the call: 81,11 MEUR. Grants from 200 000 to 2 500 000 EUR.", "81110000", "EUR"),
    ("en", "Grants of up to EUR 60 000 per project. Total budget: EUR 2 million.", "2000000", "EUR"),
    ("en", "Total funding available: $1,200,000", "1200000", "USD"),
    ("en", "EU contribution available: EUR 11 470 000. Lead applicants must be non-profit.", "11470000", "EUR"),
    ("en", "Available funds: € 4.2 million", "4200000", "EUR"),
    ("uk", "Загальний обсяг фінансування конкурсу становить 5 млн грн.", "5000000", "UAH"),
    ("uk", "Бюджет програми – 1 500 000 гривень", "1500000", "UAH"),
    ("sr-Latn", "Ukupan iznos sredstava je 10.000.000,00 dinara, a po projektu najviše 500.000,00 dinara.", "10000000",
     "RSD"),
    ("sr-Cyrl", "Укупан износ средстава: 10.000.000,00 динара.", "10000000", "RSD"),
    ("pl", "Budżet naboru wynosi 2 mln zł.", "2000000", "PLN"),
    ("hu", "A pályázati keret 30 millió Ft.", "30000000", "HUF"),
    ("ro", "Bugetul total al apelului este de 2 milioane lei.", "2000000", "RON"),
]


@pytest.mark.parametrize(("language", "text", "value", "currency"), BUDGET_CASES,
                         ids=[f"{c[0]}:{c[1][:40]}" for c in BUDGET_CASES])
def test_find_budget(language: str, text: str, value: str, currency: str) -> None:
    budget = find_budget(text)
    assert budget is not None
    assert (budget.value, budget.currency) == (Decimal(value), currency)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Grants of up to EUR 60 000 per project."),  # per project, not a budget
        ("en", "A total of 20 grants of EUR 50 000 each."),
        ("en", "Budget period: 2026-2027. Contact +32 2 123 45 67."),  # no currency
        ("uk", "Бюджет проєкту до 500 000 грн на проєкт"),
        ("en", "No money here."),
    ],
)
def test_find_budget_none(language: str, text: str) -> None:
    assert find_budget(text) is None


RANGE_CASES = [
    # (language, text, min value or None, max value or None, currency)
    ("en", "Grants from 70 000 to 300 000 EUR per project.", "70000", "300000", "EUR"),
    ("en", "Budget of the call: 81,11 MEUR. Grants from 200 000 to 2 500 000 EUR.", "200000", "2500000", "EUR"),
    ("en", "Grant size: EUR 70,000 – EUR 300,000", "70000", "300000", "EUR"),
    ("en", "Grants of up to EUR 60 000 per project. Total budget EUR 2 million.", None, "60000", "EUR"),
    ("en", "Maximum grant amount: $50,000; minimum: $10,000.", "10000", "50000", "USD"),
    ("uk", "Розмір гранту: від 100 000 до 500 000 грн", "100000", "500000", "UAH"),
    ("uk", "Максимальна сума гранту – 500 000 грн, мінімальна – 50 000 грн.", "50000", "500000", "UAH"),
    ("uk", "Гранти до 1,5 млн грн на проєкт", None, "1500000", "UAH"),
    ("sr-Latn", "Ukupan iznos sredstava je 10.000.000,00 dinara, a po projektu najviše 500.000,00 dinara.", None,
     "500000", "RSD"),
    ("sr-Latn", "od 100.000 do 500.000 dinara", "100000", "500000", "RSD"),
    ("sr-Cyrl", "од 100.000 до 500.000 динара", "100000", "500000", "RSD"),
    ("pl", "Maksymalna kwota dofinansowania: 200 000 zł", None, "200000", "PLN"),
    ("hu", "A támogatás összege legfeljebb 10 millió Ft.", None, "10000000", "HUF"),
    ("ro", "Valoarea grantului: între 10.000 și 50.000 lei", "10000", "50000", "RON"),
]


@pytest.mark.parametrize(("language", "text", "low", "high", "currency"), RANGE_CASES,
                         ids=[f"{c[0]}:{c[1][:40]}" for c in RANGE_CASES])
def test_find_grant_range(language: str, text: str, low: str | None, high: str | None, currency: str) -> None:
    got_low, got_high = find_grant_range(text)
    assert (got_low.value if got_low else None) == (Decimal(low) if low else None)
    assert (got_high.value if got_high else None) == (Decimal(high) if high else None)
    assert {a.currency for a in (got_low, got_high) if a} == {currency}


def test_find_grant_range_keeps_raw_of_the_range() -> None:
    low, high = find_grant_range("Розмір гранту: від 100 000 до 500 000 грн.")
    assert low is not None and high is not None
    assert low.raw == high.raw == "від 100 000 до 500 000 грн."  # "грн." is the abbreviation, dot included


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The total budget of the call is EUR 28.5 million."),
        ("en", "Projects last 12 to 24 months."),
        ("uk", "Приймаються заявки до 15 грудня 2026 року, тел. 067 123 45 67"),
    ],
)
def test_find_grant_range_none(language: str, text: str) -> None:
    assert find_grant_range(text) == (None, None)


COFINANCING_CASES = [
    # (language, text, funder share, raw)
    ("en", "90% co-financing", "0.9", "90% co-financing"),
    ("en", "EU co-financing rate: 85 %", "0.85", "co-financing rate: 85 %"),
    ("en", "The grant covers up to 80% of eligible costs.", None, None),  # no co-financing word
    ("en", "co-financing of at least 20% is required", "0.8", "co-financing of at least 20%"),
    ("en", "Applicants must provide an own contribution of 10%.", "0.9", "own contribution of 10%"),
    ("en", "The grant covers up to 80% of eligible costs; co-financing 20%", "0.8", "co-financing 20%"),
    ("uk", "співфінансування 10%", "0.9", "співфінансування 10%"),  # applicant's share
    ("uk", "Співфінансування з боку Програми становить до 90% прийнятних витрат", "0.9",
     "Співфінансування з боку Програми становить до 90%"),
    ("uk", "Власний внесок заявника – не менше 20%", "0.8", "Власний внесок заявника – не менше 20%"),
    ("sr-Latn", "sufinansiranje do 85%", "0.85", "sufinansiranje do 85%"),
    ("sr-Latn", "Obavezno sufinansiranje od strane podnosioca prijave od najmanje 15%.", "0.85",
     "sufinansiranje od strane podnosioca prijave od najmanje 15%"),
    ("sr-Cyrl", "суфинансирање до 85%", "0.85", "суфинансирање до 85%"),
    ("pl", "dofinansowanie 85%", "0.85", "dofinansowanie 85%"),
    ("pl", "Wkład własny: minimum 15%", "0.85", "Wkład własny: minimum 15%"),
    ("hu", "az EU társfinanszírozás mértéke 85%", "0.85", "társfinanszírozás mértéke 85%"),
    ("hu", "Önrész: 10%", "0.9", "Önrész: 10%"),
    ("ro", "rata de cofinanțare UE 90%", "0.9", "cofinanțare UE 90%"),
    ("ro", "contribuție proprie de minimum 2%", "0.98", "contribuție proprie de minimum 2%"),
    ("en", "Co-financing: 92,5 %", "0.925", "Co-financing: 92,5 %"),
    ("en", "Programme co-financing for partners of up to 90%", "0.9", "co-financing for partners of up to 90%"),
    ("sr-Latn", "Sufinansiranje od strane korisnika: 15%", "0.85", "Sufinansiranje od strane korisnika: 15%"),
    ("sr-Latn", "Sopstveno učešće podnosioca od 20%", "0.8", "Sopstveno učešće podnosioca od 20%"),
]


@pytest.mark.parametrize(("language", "text", "share", "raw"), COFINANCING_CASES,
                         ids=[f"{c[0]}:{c[1][:40]}" for c in COFINANCING_CASES])
def test_find_cofinancing(language: str, text: str, share: str | None, raw: str | None) -> None:
    assert find_cofinancing(text) == ((Decimal(share) if share else None), raw)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Co-financing is welcome. 90 applicants applied."),  # number without % in another sentence
        ("uk", "Співфінансування не вимагається."),
        ("en", "VAT 20% is not eligible."),
    ],
)
def test_find_cofinancing_none(language: str, text: str) -> None:
    assert find_cofinancing(text) == (None, None)


@pytest.mark.parametrize(
    "text",
    ["100 " * 10_000, "1 000 000 " * 5_000, "1." * 25_000],
    ids=["spaced-numbers", "grouped-numbers", "dots"],
)
def test_long_odd_input_yields_no_amount(text: str) -> None:
    """Long runs of bare numbers carry no currency, budget or rate (their cost: bench/bench_extract.py)."""
    assert parse_amount(text) is None
    assert find_budget(text + " ") is None
    assert find_grant_range(text + "  ") == (None, None)
    assert find_cofinancing(text) == (None, None)


def test_long_repeated_range_reads_its_first_range() -> None:
    text = "from 1 000 to 2 000 EUR " * 2_000
    low, high = find_grant_range(text + "  ")
    assert (low.value, high.value, low.currency) == (Decimal("1000"), Decimal("2000"), "EUR")


def test_long_run_of_cue_words_still_finds_the_rate() -> None:
    rate, raw = find_cofinancing("co-financing " * 5_000 + "10%")
    assert rate is not None and raw.endswith("10%")


# ------------------------------------------------------- scale words in every language and order (issue #14)

SCALE_ORDERS = [  # (language, text): each is thirty million euros
    ("en", "indicative topic budget 30 EUR million"), ("en", "EUR 30 million"), ("en", "30 mln EUR"),
    ("en", "€30m"), ("en", "30 EUR mn"), ("uk", "30 млн євро"), ("uk", "30 мільйонів євро"),
    ("sr-Latn", "30 miliona evra"), ("sr-Cyrl", "30 милиона евра"), ("pl", "30 mln EUR"),
    ("hu", "30 millió euró"), ("ro", "30 milioane euro"), ("ro", "30 milioane EUR"),
]


@pytest.mark.parametrize(("language", "text"), SCALE_ORDERS, ids=[f"{c[0]}:{c[1]}" for c in SCALE_ORDERS])
def test_thirty_million_however_it_is_written(language: str, text: str) -> None:
    found = parse_amount(text)
    assert (found.value, found.currency) == (Decimal(30_000_000), "EUR"), found
    assert find_budget(f"Budget: {text}.").value == Decimal(30_000_000)


@pytest.mark.parametrize(("text", "value"), [
    ("30 EUR m", Decimal(30)),  # a lone letter after the currency is not read as a scale
    ("5 000 EUR; million-strong audience", Decimal(5000)),
])
def test_a_scale_after_the_currency_must_be_a_word(text: str, value: Decimal) -> None:
    assert parse_amount(text).value == value


def test_eu_portal_topic_budgets_in_the_real_sample(samples) -> None:
    """Every "indicative topic budget N EUR million" in the captured F&TP response reads as N million euros."""
    import re

    text = (samples / "eu-ftp-sedia" / "nmmonteiro__eu_api_response.json").read_text(encoding="utf-8")
    phrases = re.findall(r"indicative topic budget (\d+(?:[.,]\d+)?) EUR million", text)
    assert len(phrases) >= 3
    for number in phrases:
        budget = find_budget(f"(indicative topic budget {number} EUR million)")
        assert budget.value == Decimal(number.replace(",", ".")) * 1_000_000, (number, budget)
