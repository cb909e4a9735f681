"""Encodings as the web has them: Cyrillic and Central European pages read right whatever their labels say.

Each page is served by the replay server behind the mirror and crawled through Scrapy's downloader; the
stored title must be the publisher's text, not mojibake and not lost.
"""

from __future__ import annotations

import pytest
from source_entries import feed_entry

from calls.config import load_config
from calls.store import Store
from digest.offline import crawl_fixtures, write_config
from digest.replay import ReplayServer, exchange
from spiders.encoding import real_encoding

UK_TITLE = "Конкурс проєктів для сільських бібліотек Полтавщини"
SR_TITLE = "Јавни позив општинама у Војводини за суфинансирање пројеката"
HU_TITLE = "Pályázati felhívás önkormányzatoknak: kerékpárút-fejlesztés"


def rss(title: str, declaration: str = "", text: str = "Кінцевий термін: 15 грудня 2026 року.") -> str:
    return (f'<?xml version="1.0"{declaration}?><rss version="2.0"><channel><title>Feed</title>'
            f"<link>https://x.example/</link><description>d</description><item><title>{title}</title>"
            f"<link>https://x.example/1</link><description>{title}. {text}</description></item></channel></rss>")


CASES = {
    # slug: (body bytes, Content-Type, expected title)
    "cp1251-bare": (rss(UK_TITLE, "").encode("cp1251"), "application/rss+xml", UK_TITLE),
    "cp1251-as-utf8": (rss(UK_TITLE, "").encode("cp1251"), "application/rss+xml; charset=utf-8", UK_TITLE),
    "cp1251-declared": (rss(SR_TITLE, ' encoding="windows-1251"').encode("cp1251"), "text/xml", SR_TITLE),
    "koi8u-declared": (rss(UK_TITLE, ' encoding="koi8-u"').encode("koi8_u"), "application/xml", UK_TITLE),
    "latin2-declared": (rss(HU_TITLE, ' encoding="iso-8859-2"', "Beadási határidő: 2026. december 15.")
                        .encode("iso8859_2"), "application/rss+xml", HU_TITLE),
    "utf8-bom": (b"\xef\xbb\xbf" + rss(SR_TITLE, ' encoding="utf-8"').encode("utf-8"),
                 "application/rss+xml; charset=windows-1251", SR_TITLE),
}


def feed_source(slug: str) -> str:
    return feed_entry(slug, f"https://{slug}.example.org/feed/")


@pytest.fixture(scope="module")
def titles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("encodings")
    config = write_config(folder, extra="".join(feed_source(slug) for slug in CASES))
    exchanges = [exchange(f"https://{slug}.example.org/feed/", body, headers={"Content-Type": kind})
                 for slug, (body, kind, _) in CASES.items()]
    with ReplayServer(exchanges=exchanges) as server:
        result = crawl_fixtures(config, server.url, *CASES, timeout=300)
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    yield {slug: [c.title for c in store.iter_calls(source=slug)] for slug in CASES}
    store.close()


@pytest.mark.crawl
@pytest.mark.parametrize("slug", sorted(CASES))
def test_the_title_is_the_publishers_text(titles, slug):
    assert titles[slug] == [CASES[slug][2]]


def test_order_of_trust():
    cyrillic = UK_TITLE.encode("cp1251")
    assert real_encoding(cyrillic, "utf-8", None) == "cp1251"  # a header that does not fit is overruled
    assert real_encoding(UK_TITLE.encode("utf-8"), "utf-8", "windows-1251") is None  # the header fits: kept
    assert real_encoding(b"\xef\xbb\xbfabc", "koi8-u", None) is None  # a BOM decides
    assert real_encoding(cyrillic, None, "windows-1251") == "windows-1251"
