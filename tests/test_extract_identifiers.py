"""A post's own call id (title, URL, labelled field, opening lines) and the ids it only quotes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from calls.extract.identifiers import call_ids
from calls.schema import Call, make_uid
from pipelines.merge import cluster
from spiders.announcements import text_facts

KYIV = ZoneInfo("Europe/Kyiv")
FTP = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/"


@pytest.mark.parametrize(("title", "url", "text", "own", "quoted"), [
    ("HORIZON-CL4-2027-HUMAN-04: trustworthy AI for public services", "https://news.example.org/p/1",
     "The topic complements the CSA HORIZON-CL4-2025-03-HUMAN-18.", "HORIZON-CL4-2027-HUMAN-04",
     ["HORIZON-CL4-2025-03-HUMAN-18"]),
    ("Trustworthy AI for public services", FTP + "horizon-cl4-2027-human-04", "See also HORIZON-CL4-2025-03-HUMAN-18.",
     "HORIZON-CL4-2027-HUMAN-04", ["HORIZON-CL4-2025-03-HUMAN-18"]),
    ("Call for proposals: civil society in Ukraine", "https://eeas.example.org/ua/1",
     "Local Calls for Proposals are published under the Framework. Reference: EuropeAid/187123/DD/ACT/UA. "
     "It follows the earlier EuropeAid/180001/DD/ACT/UA.", "EuropeAid/187123/DD/ACT/UA",
     ["EuropeAid/180001/DD/ACT/UA"]),
    ("Програма ЄС CERV: конкурс Town-Twinning",
     "https://granty.example.org.ua/cerv-town-twinning-2027/",  # a slug is no id
     "Громади можуть подати заявки на конкурс CERV-2027-CITIZENS-TOWN-TT.", "CERV-2027-CITIZENS-TOWN-TT", []),
    ("Конкурс для громад прикордоння", "https://gurt.example.org/news/1",
     "Європейська Комісія оголосила конкурс HORIZON-MISS-2027-CIT-02 для міст і громад.", "HORIZON-MISS-2027-CIT-02",
     []),
    ("Drugi poziv za projekte", "https://interreg.example.rs/poziv",
     "Broj poziva: HUSRB/2701. Projekti iz prethodnog poziva HUSRB/1601 ne mogu se ponovo prijaviti.", "HUSRB/2701",
     ["HUSRB/1601"]),
])
def test_the_calls_own_id_and_the_ids_it_quotes(title, url, text, own, quoted):
    assert call_ids(title, url, text) == (own, quoted)


def test_an_id_quoted_in_a_post_is_a_reference_not_the_calls_id():
    text = ("Public administrations can test AI tools in a new call for municipalities. The work builds on the CSA "
            "HORIZON-CL4-2025-03-HUMAN-18 and its network of pilot cities. Deadline: 30 April 2028.")
    facts = text_facts(text, KYIV, "en", title="AI sandboxes for municipalities", url="https://news.example.org/ai-sandboxes")
    assert "call_id" not in facts
    assert facts["cited_call_ids"] == ["HORIZON-CL4-2025-03-HUMAN-18"]


def test_two_calls_quoting_one_topic_are_not_merged_by_it():
    def post(source: str, title: str, text: str) -> Call:
        url = f"https://{source}.example/{len(title)}"
        facts = text_facts(text, KYIV, "en", title=title, url=url)
        return Call(uid=make_uid(source, "1"), source=source, native_id="1", title=title, url=url, **facts)

    sandboxes = post("news", "AI sandboxes for municipalities",
                     "A new call that builds on the CSA HORIZON-CL4-2025-03-HUMAN-18.")
    skills = post("portal", "Digital skills for civil servants",
                  "Training grants, in synergy with HORIZON-CL4-2025-03-HUMAN-18.")
    assert sandboxes.call_id is None and skills.call_id is None
    assert all(len(group) == 1 for group in cluster([sandboxes, skills]))
