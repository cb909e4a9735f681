"""One folding rule (calls/folding.py) for the classifier, duplicate merging and the site's search."""

from __future__ import annotations

import pytest

from calls.folding import FOLD, fold, fold_key, fold_words
from digest.site import search
from pipelines import matching, merge

SAME = [  # spellings that must meet, and their folded form
    (("район", "Район", "rajon"), "rajon"),
    (("Општине", "opštine", "OPSTINE", "ОПШТИНЕ"), "opstine"),
    (("проєкти", "пројекти", "projekti"), "projekti"),
    (("Ґранти", "Гранти", "granti"), "granti"),
    (("їжак", "іжак", "izak"), "izak"),
    (("Ђурђевак", "Đurđevak", "djurdjevak"), "djurdjevak"),
    (("об'єкт", "об’єкт", "обʼєкт"), "objekt"),
    (("Łódź", "lodz"), "lodz"),
    (("Győr", "GYŐR", "gyor"), "gyor"),
    (("Ștefan", "Ştefan", "stefan"), "stefan"),
    (("Straße", "strasse"), "strasse"),
    (("№2", "No2", "no2"), "no2"),
]


@pytest.mark.parametrize(("spellings", "folded"), SAME, ids=[s[1] for s in SAME])
def test_every_stage_folds_alike(spellings, folded):
    for text in spellings:
        assert fold(text) == folded, text
        assert matching.fold(text) == folded, text  # keyword matching
        assert merge.fold(text) == folded, text  # title and id keys
        assert search.words(text) == [folded], text  # the site's index


def test_words_and_keys_split_on_punctuation_and_keep_order():
    text = "«Культура   онлайн» — Javni poziv, 2027!"
    assert fold_words(text) == ["kultura", "onlajn", "javni", "poziv", "2027"]
    assert fold_key(text) == "kultura onlajn javni poziv 2027"
    assert matching.fold_text(text) == fold_words(text)


def test_the_table_maps_to_ascii_and_travels_with_the_search_index():
    assert all(value.isascii() for value in FOLD.values())
    index = search.index_script({}).decode("ascii")
    assert '"\\u045a":"nj"' in index  # њ, as site.js receives it
