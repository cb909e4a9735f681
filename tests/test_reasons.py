"""Classification reasons: English as before, stored and read back whole, said in every UI language."""

from __future__ import annotations

import json
import pickle
import re
from datetime import date, timedelta

import pytest
from eval import evaluate
from test_classify import NOW, make_call

from calls.reasons import Names, Reason, Term, decode, encode
from calls.regions import default_programme_areas, default_regions
from calls.schema import Deadline
from digest.i18n import LANGUAGES, translations
from digest.reasons import say, term
from digest.templating import jinja_env
from pipelines.classify import classify, classify_all

UKRAINE = Names({"uk": "Україна", "sr-Latn": "Ukrajina", "sr-Cyrl": "Украјина", "en": "Ukraine"})
LEFTOVER = re.compile(r"%\(\w+\)[sd]")


def msgids(reason: str):
    """Every catalog key a reason needs: its msgid, its nested reasons' and its terms."""
    if not isinstance(reason, Reason):
        return
    yield reason.msgid
    for value in reason.params.values():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Reason):
                yield from msgids(item)
            elif isinstance(item, Term):
                yield str(item)


def test_a_reason_is_its_english_sentence():
    reason = Reason("%(country)s takes part in %(programme)s only from %(since)s",
                    country=UKRAINE, programme="Horizon Europe", since=date(2027, 1, 1))
    assert reason == "Ukraine takes part in Horizon Europe only from 01 Jan 2027"
    assert isinstance(reason, str) and reason.upper().startswith("UKRAINE")
    nested = Reason("%(reason)s (unconfirmed)", reason=Reason("keywords: %(words)s", words=("solar", "heat")))
    assert nested == "keywords: solar, heat (unconfirmed)"


def test_reasons_survive_json_and_pickle_whole():
    reason = Reason("matches priority '%(theme)s' (%(how)s)", theme=Term("energy efficiency"),
                    how=Reason("keywords: %(words)s", words=("енергоефективн", "solar")))
    again = decode(json.loads(json.dumps(encode(reason))))
    assert isinstance(again, Reason) and again == reason and again.msgid == reason.msgid
    assert say(again, "uk") == say(reason, "uk") == (
        "відповідає пріоритету «енергоефективність» (ключові слова: енергоефективн, solar)")
    dated = Reason("call is closed (deadline passed on %(date)s)", date=date(2026, 10, 5))
    assert decode(encode(dated)).params["date"] == date(2026, 10, 5)
    named = decode(encode(Reason("call is open to applicants from %(country)s", country=UKRAINE)))
    assert say(named, "sr-Cyrl") == "позив је отворен за подносиоце из државе Украјина"
    assert pickle.loads(pickle.dumps(reason)) == reason and pickle.loads(pickle.dumps(reason)).msgid == reason.msgid
    assert decode("an editor's own words") == "an editor's own words"  # plain strings stay plain
    assert say("an editor's own words", "uk") == "an editor's own words"


def test_dates_and_names_are_said_the_languages_way():
    reason = Reason("%(country)s takes part in %(programme)s only from %(since)s",
                    country=UKRAINE, programme="Horizon Europe", since=date(2027, 3, 1))
    assert say(reason, "uk") == "Україна бере участь у програмі Horizon Europe лише з 1 бер. 2027\u202fр."
    assert say(reason, "sr-Latn").startswith("Ukrajina učestvuje u programu Horizon Europe tek od 1. 3. 2027")
    assert say(reason, "en") == "Ukraine takes part in Horizon Europe only from 1 Mar 2027"


def test_terms_are_translated_and_unknown_labels_pass_through():
    assert term("local governments", "uk") == "громади (органи місцевого самоврядування)"
    assert term("local governments", "sr-Cyrl") == "јединице локалне самоуправе"
    assert term("local governments", "sr-Latn") == "jedinice lokalne samouprave"
    assert term("a theme an editor added", "uk") == "a theme an editor added"


def test_every_reason_the_classifier_gives_on_the_eval_set_is_fully_translated():
    cases = evaluate.load_cases()
    regions = default_regions()
    seen: set[str] = set()
    for _, result in classify_all([c.call for c in cases], list(regions.values()), evaluate.NOW):
        for reason in result.reasons:
            assert isinstance(reason, Reason), reason
            seen.update(msgids(reason))
            for lang in LANGUAGES:
                said = say(reason, lang)
                assert said and not LEFTOVER.search(said), (lang, reason)
    assert len(seen) >= 25  # the eval set exercises most rules
    for lang in ("uk", "sr-Latn", "sr-Cyrl"):
        untranslated = {m for m in seen if translations(lang).gettext(m) == m}
        assert not untranslated, (lang, untranslated)


@pytest.mark.parametrize("days", [0, 1, 3, 10, 20, 80])
def test_deadline_sentences_with_and_without_stages_are_in_every_catalog(days):
    region = default_regions()["lviv"]
    single = make_call("Energy for hromadas", programme_id="horizon-europe", days=days + 0.5)
    staged = make_call("Staged energy call", programme_id="horizon-europe", deadlines=[
        Deadline(at=NOW + timedelta(days=days, hours=12), raw="a", label="cut-off 1"),
        Deadline(at=NOW + timedelta(days=days + 120), raw="b", label="cut-off 2"),
    ])
    for call in (single, staged):
        result = classify(call, region, default_programme_areas(), NOW)
        deadline = next(r for r in result.reasons if r.startswith("deadline"))
        for lang in ("uk", "sr-Latn", "sr-Cyrl"):
            assert translations(lang).gettext(deadline.msgid) != deadline.msgid, (lang, deadline.msgid)
        if call is staged:
            assert "cut-off 1" in say(deadline, "uk")


def test_templates_say_reasons_and_terms_in_the_page_language():
    reason = Reason("call is open to %(types)s, which are among the region's readers",
                    types=(Term("local governments"), Term("universities")))
    template = "{{ r|reason }} | {{ t|term }}"
    env = jinja_env("sr-Cyrl")
    rendered = env.from_string(template).render(r=reason, t="schools")
    assert rendered.startswith("позив је отворен за: јединице локалне самоуправе, универзитети — то су читаоци")
    assert rendered.endswith("| школе")
    hostile = Reason("keywords: %(words)s", words=("<script>alert(1)</script>",))
    assert "<script>" not in jinja_env("uk").from_string("{{ r|reason }}").render(r=hostile)
