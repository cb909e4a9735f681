"""The digest email: both parts in the reader's language, local deadlines, per-recipient unsubscribe, MIME, safety."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from markupsafe import escape
from test_select import CONFIG, CRAWLED, ENERGY, IN_WEEK_49, IN_WEEK_52, MUNICIPAL, REGIONS, seed_at

import digest.email as email_module
from calls.schema import Call, Deadline, Status
from calls.store import StoredClassification, StoredEvent
from calls.urls import safe_url
from digest.deadlines import say as say_deadline
from digest.email import EmailRenderer, build_message, write_preview
from digest.i18n import translations
from digest.offline import write_config
from digest.reasons import say
from digest.select import Digest, DigestEntry, select_digest, week_bounds

SITE = "https://grants.example.gov/vojvodina/"
DEPARTMENT = "Department of International Cooperation\nvul. Vynnychenka 18, Lviv 79008"
SENDER = "Grant digest <digest@grants.example.gov>"
CYRILLIC = re.compile("[а-яА-ЯіїєґјђћџљњІЇЄҐЈЂЋЏЉЊ]")


def unsubscribe(who: str) -> str:
    return f"https://grants.example.gov/unsubscribe?token={who}-7f3a"


@pytest.fixture(scope="module")
def week49(tmp_path_factory):
    """The F&TP fixture calls, first seen on Monday of 2026-W49 (as in test_select)."""
    store = seed_at(write_config(tmp_path_factory.mktemp("email49"), extra=CONFIG), CRAWLED, "eu-ftp")
    yield store
    store.close()


@pytest.fixture(scope="module")
def renderer():
    return EmailRenderer()


def render(renderer, digest, lang, who="reader"):
    return renderer.render(digest, lang, site_url=SITE, unsubscribe_url=unsubscribe(who), department=DEPARTMENT)


def words(lang: str, *msgids: str) -> list[str]:
    return [translations(lang).gettext(m) for m in msgids]


def entry_of(digest: Digest, uid: str) -> DigestEntry:
    return next(e for entries in digest.sections.values() for e in entries if e.call.uid == uid)


# -- language, local time, plurals ---------------------------------------------------

@pytest.mark.crawl
def test_lviv_in_ukrainian(week49, renderer):
    lviv = REGIONS["lviv"]
    digest = select_digest(week49, lviv, IN_WEEK_49)
    mail = render(renderer, digest, "uk")
    heading = translations("uk").gettext("Grant digest: %(region)s") % {"region": "Львівська область"}
    assert mail.lang == "uk" and mail.subject.startswith(heading) and "2026-W49" in mail.subject
    new_title, = words("uk", "New this week")
    assert new_title != "New this week"
    for part in (mail.html, mail.text):
        assert new_title in part and "Львівська область" in part
        assert "New this week" not in part
    assert 'lang="uk"' in mail.html
    energy = entry_of(digest, ENERGY)
    day = say_deadline(energy.deadline, "uk", ["Europe/Kyiv"])
    # the portal gives a date: shown as that date, no clock moved into Kyiv's zone
    assert day == "20 січня 2027\u202fр."
    for part in (mail.html, mail.text):
        assert f"{day} (" in part  # the date, then the day count
        assert "Залишилося 49 днів" in part  # 2 December → 20 January in Kyiv
    english = energy.classification.reasons[0]
    reason = say(english, "uk")  # the reasons are said in the reader's language too
    assert reason != english and english not in mail.text
    assert reason in mail.text
    assert str(escape(reason)) in mail.html
    assert words("uk", "Why it matches")[0] in mail.html


@pytest.mark.crawl
@pytest.mark.parametrize(("lang", "closing", "municipal_left", "energy_left"), [
    ("sr-Latn", "Uskoro ističe", "Ostala su 23 dana", "Ostalo je 28 dana"),
    ("sr-Cyrl", "Ускоро истиче", "Остала су 23 дана", "Остало је 28 дана"),
])
def test_vojvodina_in_both_scripts(week49, renderer, lang, closing, municipal_left, energy_left):
    vojvodina = REGIONS["vojvodina"]
    digest = select_digest(week49, vojvodina, IN_WEEK_52)
    mail = render(renderer, digest, lang)
    closing_title, = words(lang, "Closing soon")
    for part in (mail.html, mail.text):
        assert closing_title in part
        assert municipal_left in part and energy_left in part
        deadline = say_deadline(entry_of(digest, MUNICIPAL).deadline, lang, [vojvodina.timezone])
        # Belgrade's clock is Brussels': said once
        assert deadline in part and "17:00" in deadline and "(" not in deadline
        assert vojvodina.names[lang] in part
    if lang == "sr-Latn":
        headings = re.findall(r"<h[123][^>]*>(.*?)</h[123]>", mail.html, re.DOTALL)
        assert not any(CYRILLIC.search(re.sub(r"<[^>]+>", "", h)) for h in headings if "HORIZON" not in h)
    else:
        assert CYRILLIC.search(closing_title)
    assert f'lang="{lang}"' in mail.html


@pytest.mark.crawl
def test_english_see_all_link_and_empty_sections(week49, renderer):
    digest = select_digest(week49, REGIONS["lviv"], IN_WEEK_49, cap=2)
    mail = render(renderer, digest, "en")
    assert "New this week" in mail.html and "Top matches for Lviv Oblast" in mail.html
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", mail.html)
    assert headings == ["New this week", "Top matches for Lviv Oblast"]  # empty sections are left out
    assert "Closing soon" not in mail.text and "Updated" not in mail.text
    assert f"See all {digest.total_matching} calls" in mail.html and f'href="{SITE}"' in mail.html
    assert f"See all {digest.total_matching} calls: {SITE}" in mail.text
    assert "Deadlines are given as their publishers give them: a date means the whole of that day" in mail.text


# -- recipients and MIME -------------------------------------------------------------------

@pytest.mark.crawl
def test_unsubscribe_is_per_recipient_in_footer_and_headers(week49, renderer):
    digest = select_digest(week49, REGIONS["lviv"], IN_WEEK_49)
    alice, bob = render(renderer, digest, "uk", "alice"), render(renderer, digest, "uk", "bob")
    assert unsubscribe("alice") in alice.html and unsubscribe("alice") in alice.text
    assert unsubscribe("bob") not in alice.html and unsubscribe("bob") in bob.html
    footer = alice.html[alice.html.rindex("https://grants.example.gov/unsubscribe") - 400:]
    assert words("uk", "Unsubscribe")[0] in footer and "Vynnychenka 18" in footer
    message = build_message(alice, sender=SENDER, recipient="alice@example.org", unsubscribe_url=unsubscribe("alice"),
                            unsubscribe_mailto="unsubscribe+alice@grants.example.gov")
    assert message["List-Unsubscribe"] == f"<{unsubscribe('alice')}>, <mailto:unsubscribe+alice@grants.example.gov>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with pytest.raises(ValueError):
        build_message(alice, sender=SENDER, recipient="a@example.org", unsubscribe_url="http://plain.example/u")
    with pytest.raises(ValueError):
        renderer.render(digest, "uk", site_url=SITE, unsubscribe_url="javascript:void(0)", department=DEPARTMENT)


@pytest.mark.crawl
def test_mime_structure(week49, renderer):
    mail = render(renderer, select_digest(week49, REGIONS["vojvodina"], IN_WEEK_52), "sr-Cyrl")
    sent_at = datetime(2026, 12, 21, 7, 0, tzinfo=UTC)
    message = build_message(mail, sender=SENDER, recipient="Ђорђе <djordje@example.rs>",
                            unsubscribe_url=unsubscribe("djordje"), date=sent_at)
    parsed = BytesParser(policy=default_policy).parsebytes(message.as_bytes())
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content() == mail.text and parts[1].get_content() == mail.html
    assert parsed["Subject"] == mail.subject and CYRILLIC.search(parsed["Subject"])
    assert parsed["From"] == SENDER and "djordje@example.rs" in parsed["To"]
    assert parsed["Date"].datetime == sent_at
    assert parsed["Message-ID"].endswith("@grants.example.gov>")
    assert parsed["Content-Language"] == "sr-Cyrl" and parsed["MIME-Version"] == "1.0"
    assert parsed["List-Unsubscribe"] == f"<{unsubscribe('djordje')}>"


# -- compilation once per language ------------------------------------------------------------

@pytest.mark.crawl
def test_mjml_is_compiled_once_per_language(week49, monkeypatch):
    compiled_sources: list[str] = []
    outputs: list[str] = []
    real = email_module.mjml2html

    def counting(source, **kwargs):
        compiled_sources.append(source)
        outputs.append(real(source, **kwargs))
        return outputs[-1]

    monkeypatch.setattr(email_module, "mjml2html", counting)
    renderer = EmailRenderer()
    digests = [select_digest(week49, REGIONS["lviv"], IN_WEEK_49),
               select_digest(week49, REGIONS["vojvodina"], IN_WEEK_52)]
    for lang in ("uk", "sr-Latn", "sr-Cyrl", "en"):
        for digest in digests:
            for who in ("a", "b", "c"):
                render(renderer, digest, lang, who)
    assert len(compiled_sources) == 4
    assert renderer.compiled("sr_Latn") is renderer.compiled("sr-Latn")
    assert len(compiled_sources) == 4
    for source, html in zip(compiled_sources, outputs, strict=True):
        assert "[[" not in source and "[%" not in source  # the UI words went in before MJML
        assert "{% for e in sections.new %}" in html and "{{ e.title }}" in html and "{{ unsubscribe_url }}" in html
        assert 'max-width:600px' in html
    uk_source = compiled_sources[0]
    assert words("uk", "Closing soon")[0] in uk_source and "Closing soon" not in uk_source


# -- untrusted text ----------------------------------------------------------------------------

def hostile_digest(failed=()) -> Digest:
    region = REGIONS["vojvodina"]
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    start, end = week_bounds("2026-W49", region.zone)
    call = Call(
        uid="evil:1", source="evil", native_id="1", title="<script>alert('x')</script> Grants\nfor <b>towns</b>",
        url="javascript:alert(document.cookie)", programme='<img src=x onerror="alert(1)">', funder="R&D \"Fund\"",
        status=Status.OPEN, deadlines=[Deadline(at=datetime(2026, 12, 3, 16, 0, tzinfo=UTC), raw="3 Dec 2026")],
        grant_min=10000, grant_max=60000, currency="EUR", cofinancing_rate="0.9",
    )
    safe = call.model_copy(update={"uid": "ok:2", "title": "Safe call", "url": "https://example.org/call?a=1&b=2"})
    verdict = StoredClassification("evil:1", region.id, 80, "top", "eligible",
                                   ("<a href='javascript:x'>click</a>", "theme: energy", "third", "fourth"), ())
    moved = StoredEvent(1, "evil:1", "deadline-extended", now, "2026-11-30T17:00:00+01:00", "2026-12-03T17:00:00+01:00")
    return Digest(region=region, week="2026-W49", period_start=start, period_end=end, now=now,
                  updated=[DigestEntry(call, verdict, (moved,), as_of=now)],
                  top=[DigestEntry(safe, dataclasses.replace(verdict, uid="ok:2"), (), as_of=now)],
                  failed_sources=list(failed), total_matching=2)


def test_scraped_markup_and_links_arrive_inert(renderer):
    mail = render(renderer, hostile_digest(), "en")
    body = mail.html.lower()
    assert "<script" not in body and "<img" not in body and "onerror=\"" not in body and "<b>" not in body
    assert "document.cookie" not in body and "document.cookie" not in mail.text  # the javascript: link is dropped
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", body)
    assert "&lt;a href=&#39;javascript:x&#39;&gt;click&lt;/a&gt;" in mail.html  # a reason's markup is text
    assert "&lt;script&gt;" in mail.html and "&lt;b&gt;towns&lt;/b&gt;" in mail.html
    assert 'href="https://example.org/call?a=1&amp;b=2"' in mail.html
    assert "<script>alert('x')</script> Grants for <b>towns</b>" in mail.text
    assert "R&amp;D &#34;Fund&#34;" in mail.html and 'R&D "Fund"' in mail.text
    assert "fourth" not in mail.text and "third" in mail.text  # at most three reasons
    assert "deadline extended" in mail.html and "Deadline moved from 30 November 2026 to 3 December 2026" in mail.text
    assert "Deadline today" not in mail.text and "1 day left" in mail.text
    assert "€10,000 to €60,000" in mail.text and "up to 90% of eligible costs" in mail.text
    assert safe_url(" https://x.org/a ") == "https://x.org/a" and safe_url("https://x.org/a b") == "https://x.org/a%20b"
    assert safe_url("https://gov.ua@evil.example/x") == "https://evil.example/x"  # the rule feeds and the site use
    assert safe_url("//x.org") is None and safe_url("data:text/html,hi") is None and safe_url("JAVASCRIPT:x") is None


def test_failed_sources_notice_and_empty_digest(renderer):
    mail = render(renderer, hostile_digest(failed=[("broken-feed", "HTTP 500"), ("<evil>", "x")]), "uk")
    notice = translations("uk").gettext("Some sources could not be read this week: %(sources)s")
    expected = notice % {"sources": "broken-feed, <evil>"}
    assert expected in mail.text and str(escape(expected)) in mail.html
    empty = dataclasses.replace(hostile_digest(), updated=[], top=[], total_matching=0)
    quiet = render(renderer, empty, "sr-Latn")
    nothing, = words("sr-Latn", "No calls to show this week.")
    assert nothing in quiet.html and nothing in quiet.text
    assert words("sr-Latn", "Some sources could not be read this week: %(sources)s")[0][:20] not in quiet.html


# -- preview ---------------------------------------------------------------------------------

def test_write_preview_writes_parseable_eml_and_html(renderer, tmp_path):
    batch = []
    for who, lang in (("alice@example.org", "en"), ("../ђорђе@example.rs", "sr-Cyrl")):
        mail = render(renderer, hostile_digest(), lang, who.split("@")[0].strip("./"))
        message = build_message(mail, sender=SENDER, recipient=who.strip("./"), unsubscribe_url=unsubscribe(lang))
        batch.append((f"vojvodina-2026-W49-{lang}-{who}", message, mail))
    paths = write_preview(batch, tmp_path / "preview")
    assert len(paths) == 4 and all(p.parent == tmp_path / "preview" and p.exists() for p in paths)
    emls = [p for p in paths if p.suffix == ".eml"]
    for path, (_, _message, mail) in zip(emls, batch, strict=False):
        parsed = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
        assert parsed["Subject"] == mail.subject and parsed.get_content_type() == "multipart/alternative"
        assert parsed.get_body(("html",)).get_content() == mail.html
        assert message_from_bytes(path.read_bytes())["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert path.with_suffix(".html").read_text(encoding="utf-8") == mail.html
    assert paths[-1].read_text(encoding="utf-8").lower().startswith("<!doctype html")


def test_a_call_merged_from_several_publishers_is_listed_once_with_the_others_named(renderer):
    from calls.schema import Provenance

    digest = hostile_digest()
    entry = digest.top[0]
    pages = [("interreg-next-ro-ua", "https://ro-ua.net/en/news/second-call"), ("chnu-news", "https://chnu.example.edu.ua/news/4471"),
             ("monitorul-sv", "https://www.monitorul.example.ro/apel"), ("evil", "javascript:alert(1)")]
    call = entry.call.model_copy(update={"url": "https://ro-ua.net/en/news/second-call", "provenance": [
        Provenance(source=source, native_id=str(n), url=url) for n, (source, url) in enumerate(pages)]})
    mail = render(renderer, dataclasses.replace(digest, top=[dataclasses.replace(entry, call=call)]), "uk")
    line = "Також повідомили: chnu.example.edu.ua, monitorul.example.ro"  # its own site and a non-http link left out
    assert line in mail.text and mail.text.count(call.title) == 1
    assert "Також повідомили:</strong> chnu.example.edu.ua, monitorul.example.ro\n" in mail.html


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\x85", "\u2028", "\x00"])
def test_no_header_takes_a_line_break_from_scraped_or_configured_text(breaker):
    from digest.email import RenderedEmail

    rendered = RenderedEmail(subject=f"Гранти тижня{breaker}Bcc: everyone@evil.example", html="<p>x</p>", text="x",
                             lang="uk")
    message = build_message(rendered, sender=f"Digest{breaker}X-Evil: 1 <digest@grants.example.gov>",
                            recipient=f"Olena{breaker}Cc: spy@evil.example <olena@example.org>",
                            unsubscribe_url="https://grants.example.gov/unsubscribe?t=1")
    raw = message.as_bytes()
    head = raw[:raw.index(b"\n\n") if b"\n\n" in raw else raw.index(b"\r\n\r\n")]
    names = [line.split(b":")[0].lower() for line in head.splitlines() if line and not line[:1].isspace()]
    assert b"bcc" not in names and b"x-evil" not in names and b"cc" not in names
    parsed = BytesParser(policy=default_policy).parsebytes(raw)
    assert parsed["Bcc"] is None and parsed["Cc"] is None and parsed["X-Evil"] is None
    assert "Bcc: everyone@evil.example" in str(parsed["Subject"])  # kept as words of the subject, on its line
