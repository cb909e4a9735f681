"""Programme priorities and specific objectives named in call texts."""

from __future__ import annotations

import pytest

from calls.extract.priority import find_priorities


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "The call is open for applicants to the programme specific objectives (SO) SO2.2, SO2.3 and SO 4.2.",
         ["SO2.2", "SO2.3", "SO 4.2"]),
        ("en", "Projects under Priority 2 (Health) and priority 1.", ["Priority 2", "priority 1"]),
        ("en", "Policy objective 4 and Specific objective 2.4 apply.",
         ["Policy objective 4", "Specific objective 2.4"]),
        ("uk", "Конкурс за Пріоритетом 1 «Довкілля» та специфічною ціллю 2.7.",
         ["Пріоритетом 1", "специфічною ціллю 2.7"]),
        ("sr-Latn", "Poziv za Prioritet 3 i specifični cilj 4.6.", ["Prioritet 3", "specifični cilj 4.6"]),
        ("sr-Cyrl", "Позив за приоритет 2.", ["приоритет 2"]),
        ("pl", "Nabór w ramach Priorytetu 2, cel szczegółowy 4.5.", ["Priorytetu 2", "cel szczegółowy 4.5"]),
        ("hu", "A felhívás a 2. prioritás keretében jelenik meg.", ["2. prioritás"]),
        ("ro", "Apel pentru Prioritatea 1, obiectivul specific 2.4.", ["Prioritatea 1", "obiectivul specific 2.4"]),
        ("en", "Call 2 opens; budget EUR 2.5 million; SO without number.", []),
    ],
)
def test_find_priorities(language, text, expected):
    assert find_priorities(text) == expected
