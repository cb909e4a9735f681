"""Region profiles, programme areas and the rule-based classifier (DESIGN §5)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest
from eval import evaluate

from calls.config import ConfigError
from calls.regions import default_programme_areas, default_regions, load_programme_areas, load_regions
from calls.schema import Call, Deadline, Status
from pipelines.classify import (
    Classification,
    Eligibility,
    Matcher,
    Tier,
    Weights,
    classify,
    classify_all,
    default_weights,
    fold_text,
    keyword_key,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
REGION_CODES = {
    "vojvodina": "RS-VO", "volyn": "UA-07", "lviv": "UA-46", "zakarpattia": "UA-21", "ivano-frankivsk": "UA-26",
    "rivne": "UA-56", "ternopil": "UA-61", "chernivtsi": "UA-77", "odesa": "UA-51",
}


def make_call(title: str, *, days: float | None = 45, **fields) -> Call:
    """A call as a spider would yield it, with one deadline ``days`` after :data:`NOW`."""
    native_id = fields.pop("native_id", f"{zlib.crc32(title.encode()):08x}")
    deadlines = [Deadline(at=NOW + timedelta(days=days), raw="test")] if days is not None else []
    source = fields.pop("source", "test")
    return Call(
        uid=f"{source}:{native_id}", source=source, native_id=native_id, title=title,
        url=f"https://example.org/{native_id}", deadlines=fields.pop("deadlines", deadlines), **fields,
    )


def run(call: Call, region: str, now: datetime = NOW, **kwargs) -> Classification:
    return classify(call, default_regions()[region], default_programme_areas(), now, **kwargs)


# ------------------------------------------------------------------ data


def test_the_nine_regions_are_profiled():
    regions = default_regions()
    assert {rid: r.code for rid, r in regions.items()} == REGION_CODES
    for region in regions.values():
        assert set(region.names) >= {"uk", "sr-Latn", "sr-Cyrl", "en"}, region.id
        assert region.country.code == region.code[:2]
        assert region.zone.key in ("Europe/Kyiv", "Europe/Belgrade")
        assert region.digest_languages and region.themes and region.applicant_types
        assert region.code in region.areas


def test_vojvodina_includes_its_districts_and_nuts_codes():
    areas = default_regions()["vojvodina"].areas
    assert {"RS-01", "RS-07", "RS121", "RS127"} <= areas
    assert "RS-08" not in areas  # Mačva is outside Vojvodina


def test_every_theme_has_keywords_in_the_four_languages_and_serbian_scripts_agree():
    for region in default_regions().values():
        for theme in region.themes:
            assert {"uk", "sr-Latn", "sr-Cyrl", "en"} <= set(theme.keywords), (region.id, theme.id)
            latin = {keyword_key(k) for k in theme.keywords["sr-Latn"]}
            cyrillic = {keyword_key(k) for k in theme.keywords["sr-Cyrl"]}
            assert latin == cyrillic, (theme.id, latin ^ cyrillic)


def test_uncertain_facts_keep_their_marks():
    regions, programmes = default_regions(), default_programme_areas()
    assert any("transliteration" in note for note in regions["lviv"].uncertain)
    assert any("RS12" in note for note in regions["vojvodina"].uncertain)
    assert "UA-51" in programmes["interreg-next-bsb"].uncertain_areas
    cerv = programmes["cerv"].status_for("UA")
    assert cerv.status == "unknown" and cerv.uncertain
    life = programmes["life"].status_for("RS")
    assert life.status == "not-associated" and life.uncertain


def test_one_programme_registry_names_the_portal_codes_and_the_areas():
    areas = default_programme_areas()
    for pid in ("horizon-europe", "digital-europe", "erasmus-plus", "creative-europe", "cerv", "life",
                "single-market", "eu4health", "cef", "ndici", "eu-external-action"):
        assert areas[pid].ftp_codes, pid
    for pid in ("interreg-next-pl-ua", "interreg-next-huskroua", "interreg-next-ro-ua", "interreg-next-bsb",
                "interreg-danube", "interreg-ipa-husrb", "interreg-ipa-rors", "interreg-ipa-hrrs",
                "eea-norway-grants", "visegrad-fund", "house-of-europe"):
        assert pid in areas, pid
    assert areas.by_ftp_code("43108390").id == areas.by_ftp_code(" horizon ").id == "horizon-europe"
    assert areas.by_ftp_code("ERASMUS+").id == "erasmus-plus" and areas.by_ftp_code("nonsense") is None
    # Programmes known only by their portal code state no participation, so they decide no eligibility.
    assert areas.by_ftp_code("EUAF").id == "euaf" and not areas["euaf"].says_anything


def test_a_department_programme_override_reaches_the_portal_spider_and_the_classifier(tmp_path):
    from calls.config import load_config
    from calls.regions import configured_programmes

    path = tmp_path / "grantdigest.toml"
    path.write_text('[programmes.interreg-next-pl-ua]\nftp_codes = ["99999999"]\n', encoding="utf-8")
    programmes = configured_programmes(load_config(path))
    assert programmes.by_ftp_code("99999999").id == "interreg-next-pl-ua"
    assert programmes["interreg-next-pl-ua"].areas == default_programme_areas()["interreg-next-pl-ua"].areas


# The oblast/district × programme matrix of REGIONS.md §1.10 (core areas).
MATRIX = {
    "interreg-next-pl-ua": {"volyn", "lviv", "zakarpattia", "ivano-frankivsk", "rivne", "ternopil"},
    "interreg-next-huskroua": {"zakarpattia", "ivano-frankivsk", "chernivtsi"},
    "interreg-next-ro-ua": {"zakarpattia", "ivano-frankivsk", "chernivtsi", "odesa"},
    "interreg-next-bsb": {"odesa"},
    "interreg-danube": {"zakarpattia", "ivano-frankivsk", "chernivtsi", "odesa", "vojvodina"},
    "interreg-ipa-husrb": {"vojvodina"},
    "interreg-ipa-rors": {"vojvodina"},
    "interreg-ipa-hrrs": {"vojvodina"},
    "interreg-ipa-adrion": {"vojvodina"},
    "urbact-iv": {"vojvodina"},
    "interreg-euro-med": set(),
}


@pytest.mark.parametrize("programme_id", sorted(MATRIX))
def test_programme_areas_follow_the_research_matrix(programme_id):
    call = make_call("Call for proposals", programme_id=programme_id)
    for region in REGION_CODES:
        got = run(call, region).eligibility
        if region in MATRIX[programme_id]:
            assert got in (Eligibility.ELIGIBLE, Eligibility.LIKELY), (programme_id, region)
        else:
            assert got is Eligibility.NOT_ELIGIBLE, (programme_id, region)


# ------------------------------------------------------------------ text matching


def test_folding_makes_serbian_scripts_and_diacritics_equal():
    assert fold_text("Војводина") == fold_text("Vojvodina") == ["vojvodina"]
    assert fold_text("Ђурђевдан Đurđevdan") == ["djurdjevdan", "djurdjevdan"]
    assert fold_text("Černjivečka oblast") == fold_text("Черњивечка област")
    assert fold_text("об’єднання") == fold_text("об'єднання")
    assert fold_text("Lwów Cernăuți") == ["lwow", "cernauti"]


def test_keywords_are_word_prefixes_and_short_words_must_match_whole():
    matcher = Matcher(["енергоефективн", "сільськ господар", "sme", "rivne$ oblast"])
    hits = matcher.find("Підтримка енергоефективності та сільського господарства для SMEs; Rivne Oblast")
    assert hits == {
        "energoefektivn": "енергоефективності",
        "silsk gospodar": "сільського господарства",
        "rivne$ oblast": "Rivne Oblast",
    }
    assert Matcher(["sme"]).find("smell of small business") == {}
    assert Matcher(["rivne$"]).find("рівні можливості") == {}


def test_region_names_are_found_in_every_language_and_form():
    forms = {
        "lviv": ["громади Львівщини", "Львівська область", "у Львові", "Lviv Oblast"],
        "zakarpattia": ["Закарпаття", "Zakarpatska oblast", "Kárpátalja"],
        "vojvodina": ["AP Vojvodina", "АП Војводина", "Vajdaság", "Južnobački okrug", "Pokrajinski sekretarijat"],
        "odesa": ["Одещина", "Одеської області", "Odesa"],
        "chernivtsi": ["Буковина", "Чернівецька область", "Cernăuți"],
    }
    for region, texts in forms.items():
        for text in texts:
            call = make_call(f"Конкурс для громад — {text}", language="en")
            result = run(call, region)
            assert result.eligibility is Eligibility.ELIGIBLE, (region, text, result.reasons)


# ------------------------------------------------------------------ eligibility rules


def test_interreg_area_gives_a_checkable_reason():
    call = make_call("3rd call for regular projects", programme_id="interreg-next-pl-ua")
    assert run(call, "lviv").reasons[0] == "Interreg NEXT Poland–Ukraine covers Lviv Oblast"
    odesa = run(call, "odesa")
    assert odesa.tier is Tier.NOT_ELIGIBLE
    assert "not Odesa Oblast (UA-51)" in odesa.reasons[0]


def test_partial_coverage_of_vojvodina_is_said():
    result = run(make_call("Call 3", programme_id="interreg-ipa-rors"), "vojvodina")
    assert result.eligibility is Eligibility.ELIGIBLE
    assert result.reasons[0] == (
        "Interreg IPA Romania–Serbia covers part of Autonomous Province of Vojvodina (RS-02, RS-03, RS-04)")
    whole = run(make_call("Call 2", programme_id="interreg-ipa-husrb"), "vojvodina")
    assert whole.reasons[0] == "Interreg IPA Hungary–Serbia covers Autonomous Province of Vojvodina"


def test_association_to_eu_programmes():
    life = make_call("LIFE nature projects", programme_id="life")
    assert run(life, "lviv").eligibility is Eligibility.ELIGIBLE
    assert run(life, "vojvodina").eligibility is Eligibility.NOT_ELIGIBLE
    health = make_call("Mental health", programme_id="eu4health")
    assert run(health, "vojvodina").eligibility is Eligibility.ELIGIBLE
    before = run(health, "vojvodina", now=datetime(2025, 6, 1, tzinfo=UTC))
    assert before.eligibility is Eligibility.NOT_ELIGIBLE
    assert "only from 01 Jan 2026" in before.reasons[0]


def test_programme_is_recognised_from_the_call_identifier_and_the_text():
    by_id = make_call("Energy topic", call_id="HORIZON-CL5-2027-D3-01")
    assert run(by_id, "lviv").reasons[0].startswith("Ukraine is associated to Horizon Europe (from call identifier")
    by_text = make_call("Програма Interreg NEXT Польща–Україна: новий конкурс", language="uk")
    assert "programme recognised from the call's text" in run(by_text, "lviv").reasons[0]
    assert run(by_text, "chernivtsi").eligibility is Eligibility.NOT_ELIGIBLE


def test_programme_is_known_from_a_single_programme_source_and_the_funder():
    hoe = make_call("Гранти для бібліотек", source="house-of-europe", language="uk")
    assert run(hoe, "lviv").reasons[0] == "Ukraine takes part in House of Europe (from source house-of-europe)"
    assert run(hoe, "vojvodina").eligibility is Eligibility.NOT_ELIGIBLE
    embassy = make_call("Public Diplomacy small grants", language="en", funder="U.S. Mission to Ukraine")
    assert run(embassy, "odesa").eligibility is Eligibility.ELIGIBLE
    assert run(embassy, "vojvodina").eligibility is Eligibility.NOT_ELIGIBLE


def test_the_calls_own_countries_and_areas_decide():
    only_pl = make_call("Nabór dla organizacji", eligible_countries=["PL"])
    assert run(only_pl, "lviv").eligibility is Eligibility.NOT_ELIGIBLE
    areas = make_call("Call", eligible_countries=["UA"], eligible_areas=["UA-63", "UA-59"])
    assert run(areas, "lviv").eligibility is Eligibility.NOT_ELIGIBLE
    assert run(make_call("Call", eligible_areas=["RS123"]), "vojvodina").eligibility is Eligibility.ELIGIBLE
    europeaid = make_call("Civil society facility", call_id="EuropeAid/188912/DD/ACT/UA",
                          programme_id="eu-external-action")
    assert run(europeaid, "odesa").eligibility is Eligibility.ELIGIBLE
    assert run(europeaid, "vojvodina").eligibility is Eligibility.NOT_ELIGIBLE


def test_text_naming_other_oblasts_only_excludes_the_region():
    call = make_call("Конкурс для громад Харківської та Сумської областей", language="uk")
    assert run(call, "lviv").eligibility is Eligibility.NOT_ELIGIBLE
    nationwide = make_call("Конкурс для громад з усієї України, зокрема Харківської області", language="uk")
    assert run(nationwide, "lviv").eligibility is Eligibility.ELIGIBLE


def test_language_and_foreign_country_exclude_the_other_country():
    assert run(make_call("Грант для громадських організацій", language="uk"), "vojvodina").eligibility is (
        Eligibility.NOT_ELIGIBLE
    )
    assert run(make_call("Konkurs za udruženja", language="sr-Latn"), "vojvodina").eligibility is Eligibility.LIKELY
    media = make_call("Support to independent media", language="en", summary="For media registered in Ukraine.")
    assert run(media, "vojvodina").eligibility is Eligibility.NOT_ELIGIBLE
    assert run(media, "lviv").eligibility is Eligibility.LIKELY


def test_nothing_known_is_unknown_with_a_reason():
    result = run(make_call("Global small grants", language="en"), "lviv")
    assert result.eligibility is Eligibility.UNKNOWN
    assert result.reasons[0] == "no eligibility information about Ukraine or Lviv Oblast found"
    assert result.tier is not Tier.TOP


# ------------------------------------------------------------------ score, tier, reasons


def test_theme_match_names_the_priority_and_the_words():
    call = make_call("Енергоефективність громадських будівель", language="uk", programme_id="interreg-next-pl-ua")
    result = run(call, "volyn")
    assert "energy-efficiency" in result.matched_themes
    assert "matches priority 'energy efficiency' (keywords: Енергоефективність)" in result.reasons
    assert result.tier is Tier.TOP


def test_deadline_moves_the_score_and_the_tier():
    base = dict(programme_id="interreg-ipa-husrb", summary="Energetska efikasnost i obnovljivi izvori energije.")
    ample = run(make_call("Poziv", days=40, **base), "vojvodina")
    soon = run(make_call("Poziv", days=2, **base), "vojvodina")
    closed = run(make_call("Poziv", days=-1, **base), "vojvodina")
    assert ample.tier is Tier.TOP and "deadline in 40 days (02 Jan 2027)" in ample.reasons
    assert soon.score < ample.score and soon.tier is Tier.RELEVANT
    assert any("little time to apply" in r for r in soon.reasons)
    assert closed.tier is Tier.LOW and closed.score <= default_weights().closed_cap
    assert any(r.startswith("call is closed") for r in closed.reasons)


def test_closed_status_is_never_top_and_stages_close_with_the_first():
    closed = make_call("Energy", programme_id="interreg-ipa-husrb", status=Status.CLOSED, days=90)
    assert run(closed, "vojvodina").tier is Tier.LOW
    staged = make_call("Two-stage topic", programme_id="horizon-europe", deadlines=[
        Deadline(at=NOW - timedelta(days=5), raw="x", label="stage 1"),
        Deadline(at=NOW + timedelta(days=90), raw="y", label="stage 2"),
    ])
    assert run(staged, "lviv").tier is Tier.LOW
    cutoffs = make_call("Open call with cut-offs", programme_id="horizon-europe", summary="digital", deadlines=[
        Deadline(at=NOW - timedelta(days=5), raw="x", label="cut-off 1"),
        Deadline(at=NOW + timedelta(days=90), raw="y", label="cut-off 2"),
    ])
    assert "deadline (cut-off 2) in 90 days (21 Feb 2027)" in run(cutoffs, "lviv").reasons


def test_applicants_the_readers_are_not_rank_low():
    call = make_call("Fellowships in digital innovation", programme_id="horizon-europe", applicant_types=["individual"])
    result = run(call, "lviv")
    assert result.eligibility is Eligibility.ELIGIBLE and result.tier is Tier.LOW
    assert "call is open to individuals only, not the organisations this digest serves" in result.reasons


def test_weights_are_editable_data():
    call = make_call("Energy efficiency in schools", programme_id="interreg-next-pl-ua")
    strict = Weights.from_mapping({**default_weights().__dict__, "top": 101})
    assert run(call, "lviv", weights=strict).tier is Tier.RELEVANT
    with pytest.raises(ValueError, match="unknown weights"):
        Weights.from_mapping({"bonus": 3})


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        run(make_call("x"), "lviv", now=datetime(2026, 11, 23))


# ------------------------------------------------------------------ overrides


def test_config_overrides_change_add_and_drop_regions():
    regions = load_regions({
        "regions": {
            "lviv": {"priorities": {"themes": {"health": 2, "tourism-culture": 0}}},
            "odesa": {"enabled": False},
            "kharkiv": {
                "code": "UA-63", "country": "UA", "timezone": "Europe/Kyiv", "names": {"en": "Kharkiv Oblast"},
                "aliases": ["харків", "kharkiv"], "applicant_types": ["ngo"],
                "priorities": {"themes": {"recovery-security": 2}},
            },
        },
        "sources": {"ignored": {}},
    })
    lviv_themes = {t.id: t.weight for t in regions["lviv"].themes}
    assert lviv_themes["health"] == 2 and "tourism-culture" not in lviv_themes
    assert "odesa" not in regions
    call = make_call("Відбудова Харківщини: гранти", language="uk")
    result = classify(call, regions["kharkiv"], None, NOW)
    assert result.eligibility is Eligibility.ELIGIBLE and result.matched_themes == ("recovery-security",)
    with pytest.raises(ConfigError, match="unknown theme"):
        load_regions({"regions": {"lviv": {"priorities": {"themes": {"astrology": 1}}}}})


def test_config_overrides_programme_areas():
    areas = load_programme_areas({"programmes": {"my-oblast-fund": {
        "name": "Oblast fund", "funder": "Lviv ODA", "kind": "national", "countries": ["UA"], "areas": ["UA-46"],
    }}})
    call = make_call("Конкурс", programme_id="my-oblast-fund")
    assert classify(call, default_regions()["lviv"], areas, NOW).reasons[0] == "Oblast fund covers Lviv Oblast"
    assert classify(call, default_regions()["odesa"], areas, NOW).eligibility is Eligibility.NOT_ELIGIBLE
    with pytest.raises(ConfigError, match="status must be one of"):
        load_programme_areas({"programmes": {"x": {"status": {"UA": {"status": "maybe"}}}}})


# ------------------------------------------------------------------ batch, speed, evaluation


def test_classify_all_agrees_with_classify_and_always_explains():
    cases = evaluate.load_cases()
    regions = list(default_regions().values())
    results = list(classify_all([c.call for c in cases], regions, evaluate.NOW))
    assert len(results) == len(cases) * len(regions)
    by_pair = {(uid, cls.region): cls for uid, cls in results}
    for case in cases[:20]:
        for region in regions:
            assert by_pair[case.call.uid, region.id] == classify(case.call, region, None, evaluate.NOW)
    for uid, cls in results:
        assert cls.reasons and all(isinstance(r, str) and r for r in cls.reasons), uid
        assert 0 <= cls.score <= 100
        assert (cls.tier is Tier.NOT_ELIGIBLE) == (cls.eligibility is Eligibility.NOT_ELIGIBLE), uid


def test_eval_set_is_large_multilingual_and_labelled_for_three_regions_or_more():
    cases = evaluate.load_cases()
    assert len(cases) >= 80
    assert {c.call.language for c in cases} >= {"en", "uk", "sr-Latn", "sr-Cyrl", "pl", "hu", "ro"}
    assert all(len(c.expected) >= 3 for c in cases)


def test_eligibility_precision_and_recall_on_the_eval_set():
    tallies, _ = evaluate.run(evaluate.load_cases())
    total = evaluate.overall(tallies)
    assert total.precision >= 0.9 and total.recall >= 0.9, (total.precision, total.recall)
    for region, tally in tallies.items():
        assert tally.precision >= 0.9 and tally.recall >= 0.9, (region, tally.precision, tally.recall, tally.misses)
