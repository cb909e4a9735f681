"""The sample calls and feed metadata that tests/test_feeds.py and tests/test_exports.py render."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from calls import deadlines
from calls.schema import Call, Deadline, Provenance, Status
from digest.feeds import FeedItem, FeedMeta

KYIV = ZoneInfo("Europe/Kyiv")
BELGRADE = ZoneInfo("Europe/Belgrade")
BRUSSELS = ZoneInfo("Europe/Brussels")
XSS_TITLE = '<script>alert(1)</script>Grant" onmouseover="alert(2)'
XSS_SUMMARY = '=HYPERLINK("https://evil.example","x") <img src=x onerror=alert(3)> \x0b<a href="#">go</a>'
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _call(uid: str, **fields) -> Call:
    source, native_id = uid.split(":", 1)
    fields.setdefault("url", f"https://example.org/{native_id}")
    return Call(uid=uid, source=source, native_id=native_id, **fields)


def sample_items() -> list[FeedItem]:
    """uk, sr-Cyrl, sr-Latn and en calls; two-stage, no deadline, unparsed deadline, XSS, withdrawn."""
    lviv = _call(
        "loda:2026-17", title="Конкурс мікрогрантів для територіальних громад Львівщини", language="uk",
        url="https://loda.gov.ua/news/konkurs-mikrograntiv",
        summary="Підтримка проєктів енергоефективності, до 500 000 грн.",
        programme="Обласна програма розвитку громад", funder="Львівська ОВА", status=Status.OPEN,
        deadlines=[deadlines.at_time(datetime(2026, 12, 15, 18, 0, tzinfo=KYIV), KYIV, "15.12.2026 до 18:00")],
        grant_max=Decimal("500000"), currency="UAH", applicant_types=["local-government"],
        themes=["energy-efficiency", "community-development"], first_seen=datetime(2026, 11, 2, 6, tzinfo=UTC),
    )
    novi_sad = _call(
        "vojvodina:ekologija-2026",
        title="Јавни конкурс за финансирање пројеката енергетске ефикасности у 2026. години",
        language="sr-Cyrl", url="https://www.ekourbapv.vojvodina.gov.rs/конкурси/2026?id=5",
        summary="Право учешћа имају јединице локалне самоуправе са територије АП Војводине.",
        funder="Покрајински секретаријат", status=Status.OPEN, currency="RSD", budget=Decimal("120000000.00"),
        deadlines=[deadlines.on_day(date(2026, 12, 1), BELGRADE, "1. децембар 2026.")],
        themes=["energy-efficiency"],
    )
    culture = _call(
        "vojvodina:kultura-2026", title="Javni konkurs za sufinansiranje projekata u oblasti kulture",
        language="sr-Latn",
        summary="Konkurs je otvoren do utroška sredstava; prijave se podnose na obrascu, uz prilog: budžet, plan.",
        status=Status.OPEN, deadlines=[Deadline(at=None, raw="do utroška sredstava")], themes=["culture"],
    )
    horizon = _call(
        "eu-ftp:HORIZON-CL5-2027-D3-01", title="Renewable energy communities, two-stage", language="en",
        call_id="HORIZON-CL5-2027-D3-01", programme="Horizon Europe", funder="European Union",
        status=Status.FORTHCOMING,
        summary="Two-stage call.\nStage 1: short proposal; stage 2: full proposal.",
        deadlines=[
            deadlines.at_time(datetime(2027, 2, 10, 17, 0, tzinfo=BRUSSELS), BRUSSELS,
                              "10 February 2027 17:00:00 Brussels time", "stage 1"),
            deadlines.at_time(datetime(2027, 9, 15, 17, 0, tzinfo=BRUSSELS), BRUSSELS,
                              "15 September 2027 17:00:00 Brussels time", "stage 2"),
        ],
        budget=Decimal("81110000"), currency="EUR", themes=["energy-efficiency", "research"],
        published_at=datetime(2026, 10, 1, 10, tzinfo=UTC), first_seen=datetime(2026, 10, 2, 4, tzinfo=UTC),
    )
    facility = _call(
        "eu4business:ta-facility", title="EU4Business technical assistance facility (rolling)", language="en",
        kind="technical-assistance", summary="Applications accepted on a rolling basis.", themes=[],
    )
    hostile = _call(
        "aggregator:evil-1", title=XSS_TITLE, language="en", summary=XSS_SUMMARY, url="javascript:alert(1)",
        original_url=" JaVaScRiPt:alert(document.cookie)", funder="@SUM(1+1)", programme="-2+3",
        deadlines=[deadlines.at_time(datetime(2027, 1, 31, 12, 0, tzinfo=UTC), UTC,
                                     '<b onmouseover="x">31.01.2027</b>', "+stage")],
        themes=['"><script>alert(4)</script>'],
        provenance=[Provenance(source="aggregator", native_id="evil-1",
                               url="data:text/html,<script>alert(5)</script>")],
    )
    withdrawn = _call("manual:withdrawn", title="Withdrawn by the editor", status=Status.WITHDRAWN,
                      deadlines=[deadlines.on_day(date(2027, 1, 1), UTC, "1.1.2027")])
    return [
        FeedItem(lviv, datetime(2026, 11, 20, 8, tzinfo=UTC), ("Covers Lviv oblast", "Deadline in 22 days")),
        FeedItem(novi_sad, datetime(2026, 11, 18, 8, tzinfo=UTC), ("Подручје: АП Војводина",)),
        FeedItem(culture, datetime(2026, 11, 17, 8, tzinfo=UTC)),
        FeedItem(horizon, datetime(2026, 11, 21, 8, tzinfo=UTC), ("deadline extended",)),
        FeedItem(facility, datetime(2026, 11, 16, 8, tzinfo=UTC)),
        FeedItem(hostile, datetime(2026, 11, 19, 8, tzinfo=UTC), ("<script>alert(6)</script>",)),
        FeedItem(withdrawn, datetime(2026, 11, 22, 8, tzinfo=UTC)),
    ]


VISIBLE = 6
META = FeedMeta(
    title="Гранти для Львівщини", feed_url="https://digest.example.org/ua-46/feed.atom",
    site_url="https://digest.example.org/ua-46/", language="uk", id="tag:digest.example.org,2026:ua-46",
    updated=NOW, description="Щотижневий дайджест грантів",
)
