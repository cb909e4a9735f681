"""UI words: four complete catalogs, correct plurals, one Serbian text in two scripts, safe templates, local times."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po
from jinja2 import DictLoader

from digest.i18n import (
    LANGUAGES,
    UnknownLanguage,
    catalog_name,
    format_moment,
    format_money,
    language_tag,
    po_path,
    translations,
)
from digest.templating import jinja_env

SERBIAN_CYRILLIC = dict(zip(
    "абвгдђежзијклљмнњопрстћуфхцчџш",
    ["a", "b", "v", "g", "d", "đ", "e", "ž", "z", "i", "j", "k", "l", "lj", "m", "n", "nj", "o", "p", "r", "s", "t",
     "ć", "u", "f", "h", "c", "č", "dž", "š"],
    strict=True,
))
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
SCRIPT_EXCEPTION = "script-exception:"
"""A translator comment starting with this, on an sr_Latn entry, documents why it is not a
transliteration of the Cyrillic (e.g. a foreign name kept in its own spelling)."""


def to_latin(text: str) -> str:
    """Serbian Cyrillic → Serbian Latin (Latin letters, digits and placeholders pass through)."""
    out = []
    for i, char in enumerate(text):
        latin = SERBIAN_CYRILLIC.get(char.lower())
        if latin is None:
            out.append(char)
        elif char.islower():
            out.append(latin)
        else:  # Љ → Lj in a word, LJ in capitals
            following = text[i + 1:i + 2]
            out.append(latin.upper() if len(latin) > 1 and following.isupper() else latin[:1].upper() + latin[1:])
    return "".join(out)


def catalog(lang: str):
    with po_path(lang).open("rb") as po:
        return read_po(po, locale=catalog_name(lang))


def entries(lang: str) -> dict:
    return {m.id: m for m in catalog(lang) if m.id}


def key(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def test_every_msgid_is_in_every_catalog_and_translated():
    reference = {key(i) for i in entries("en")}
    assert len(reference) > 60
    for lang in LANGUAGES:
        found = entries(lang)
        assert {key(i) for i in found} == reference, lang
        for message in found.values():
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert strings and all(s.strip() for s in strings), (lang, message.id)
            assert not message.fuzzy, (lang, message.id)
            placeholders = PLACEHOLDER.findall(key(message.id))  # every placeholder survives translation
            for s in strings:
                assert sorted(PLACEHOLDER.findall(s)) == sorted(placeholders), (lang, message.id)


@pytest.mark.parametrize("msgid", ["New this week", "Closing soon", "Updated", "Top matches for %(region)s", "Deadline",
                                   "Grant size", "Co-financing", "Why it matches", "Unsubscribe", "Programme", "Funder",
                                   "Opens", "Budget", "deadline extended", "budget changed", "status changed",
                                   "Some sources could not be read this week: %(sources)s"])
def test_the_digests_words_are_there(msgid):
    for lang in LANGUAGES:
        assert msgid in entries(lang), (lang, msgid)
    for lang in ("uk", "sr-Latn", "sr-Cyrl"):
        assert translations(lang).gettext(msgid) != msgid, (lang, msgid)


def test_plural_headers():
    for lang in ("uk", "sr-Latn", "sr-Cyrl"):
        assert catalog(lang).num_plurals == 3, lang
        assert catalog(lang).plural_expr == (
            "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)")
    assert catalog("en").num_plurals == 2


@pytest.mark.parametrize(("lang", "expected"), [
    ("uk", ["Залишився 1 день", "Залишилося 2 дні", "Залишилося 5 днів", "Залишився 21 день"]),
    ("sr-Cyrl", ["Остао је 1 дан", "Остала су 2 дана", "Остало је 5 дана", "Остао је 21 дан"]),
    ("sr-Latn", ["Ostao je 1 dan", "Ostala su 2 dana", "Ostalo je 5 dana", "Ostao je 21 dan"]),
    ("en", ["1 day left", "2 days left", "5 days left", "21 days left"]),
])
def test_plural_forms(lang, expected):
    t = translations(lang)
    assert [t.ngettext("%(num)d day left", "%(num)d days left", n) % {"num": n} for n in (1, 2, 5, 21)] == expected
    calls = [t.ngettext("%(num)d call", "%(num)d calls", n) % {"num": n} for n in (1, 2, 5, 21, 11, 12)]
    if lang == "uk":
        assert calls == ["1 конкурс", "2 конкурси", "5 конкурсів", "21 конкурс", "11 конкурсів", "12 конкурсів"]
    if lang == "sr-Cyrl":
        assert calls == ["1 конкурс", "2 конкурса", "5 конкурса", "21 конкурс", "11 конкурса", "12 конкурса"]


def test_serbian_latin_is_the_cyrillic_transliterated():
    cyrillic, latin = entries("sr-Cyrl"), entries("sr-Latn")
    assert to_latin("Љубав ЊЕГОШ џеп") == "Ljubav NJEGOŠ džep"
    checked = 0
    for msgid, message in latin.items():
        if any(c.startswith(SCRIPT_EXCEPTION) for c in (*message.auto_comments, *message.user_comments)):
            continue
        source, target = cyrillic[msgid].string, message.string
        pairs = zip(source, target, strict=False) if isinstance(source, tuple) else [(source, target)]
        for cyr, lat in pairs:
            assert to_latin(cyr) == lat, msgid
            assert not any("а" <= c <= "я" or c in "ђјљњћџ" for c in lat.lower()), msgid
            checked += 1
    assert checked >= len(latin)
    assert any(any("а" <= c <= "я" for c in m.string if isinstance(m.string, str)) for m in cyrillic.values())


def test_language_tags_and_catalog_names():
    assert [catalog_name(lang) for lang in LANGUAGES] == ["uk", "sr_Latn", "sr_Cyrl", "en"]
    assert language_tag("sr_latn") == "sr-Latn" and language_tag("sr") == "sr-Cyrl" and language_tag("UK") == "uk"
    with pytest.raises(UnknownLanguage):
        translations("pl")
    assert translations("sr-Latn") is translations("sr_Latn")  # compiled once


def test_jinja_env_autoescapes_and_translates():
    loader = DictLoader({
        "call.html": "<h2>{{ _('Top matches for %(region)s', region=region) }}</h2><p>{{ title }}</p>"
                     "<p>{{ ngettext('%(num)d day left', '%(num)d days left', days) }}</p>",
        "call.txt": "{{ title }}",
    })
    env = jinja_env("uk", loader)
    html = env.get_template("call.html").render(region="<b>Львівщина</b>", title="<script>alert(1)</script>", days=5)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Найвідповідніші конкурси: &lt;b&gt;Львівщина&lt;/b&gt;" in html
    assert "Залишилося 5 днів" in html
    assert env.from_string("{{ x }}").render(x="<script>") == "&lt;script&gt;"
    assert env.get_template("call.txt").render(title="R&D <1>") == "R&D <1>"  # the plain-text part is not HTML
    assert jinja_env("sr-Cyrl", loader).from_string("{{ _('Deadline') }}").render() == "Рок"
    assert jinja_env("sr-Latn", loader).from_string("{{ _('Deadline') }}").render() == "Rok"


def test_format_moment_in_the_readers_zone():
    """Timestamps (a run, an update) are said in the reader's zone; deadlines are not (tests/test_deadlines.py)."""
    moment = datetime(2027, 1, 20, 16, 0, tzinfo=UTC)
    # CLDR: narrow no-break space before р.
    assert format_moment(moment, "Europe/Kyiv", "uk") == "20 січня 2027\u202fр., 18:00"
    assert format_moment(moment, "Europe/Belgrade", "sr-Latn") == "20. januar 2027. 17:00"
    assert format_moment(moment, "Europe/Belgrade", "sr-Cyrl") == "20. јануар 2027. 17:00"
    assert format_moment(moment, "Europe/Kyiv", "en") == "20 January 2027, 18:00"  # English as written in Europe
    late = datetime(2027, 1, 20, 22, 30, tzinfo=UTC)  # already the 21st in Kyiv
    assert format_moment(late, "Europe/Kyiv", "uk").startswith("21 січня")
    assert format_moment(late, "Europe/Belgrade", "sr-Latn").startswith("20. januar")
    with pytest.raises(ValueError):
        format_moment(datetime(2027, 1, 20, 16, 0), "Europe/Kyiv", "uk")


def test_format_money():
    assert format_money(Decimal("24000000"), "EUR", "en") == "€24,000,000"
    assert format_money(Decimal("24000000"), "EUR", "sr-Latn") == "24.000.000\xa0€"
    assert format_money(Decimal("1500.5"), "UAH", "uk") == "1\xa0500,50\xa0₴"
    assert format_money(Decimal("2500000"), "RSD", "sr-Cyrl") == "2.500.000\xa0RSD"
