"""The weekly digest as an email: MJML compiled once per language, filled per recipient (DESIGN §7).

``templates/email/digest.mjml`` has two template layers. The UI words (``[[ _("…") ]]``)
are put in once per language, then mjml-python compiles the result to HTML; the
per-digest and per-recipient placeholders (``{{ … }}``, ``{% … %}``) pass through MJML
verbatim, and the compiled HTML becomes a Jinja2 template (autoescape on) filled for
each recipient. ``digest.txt`` is the plain-text part. Scraped text is untrusted:
it is escaped, and links that are not http(s) are dropped.

Sending lives elsewhere; :func:`write_preview` writes ``.eml`` and ``.html`` files instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from babel.support import Translations
from mjml import mjml2html

from calls import deadlines
from calls.store import StoredEvent
from calls.urls import safe_url
from digest.deadlines import NOTE, days_left_text, published_day
from digest.deadlines import say as say_deadline
from digest.editorial import Controls
from digest.i18n import TEMPLATES_DIR, format_money, format_share, language_tag, translations
from digest.reasons import say
from digest.select import UPDATE_KINDS, Digest, DigestEntry
from digest.templating import jinja_env

HTML_TEMPLATE = "email/digest.mjml"
TEXT_TEMPLATE = "email/digest.txt"
MAX_REASONS = 3
CHANGE_LABELS = {
    "deadline-extended": "deadline extended",
    "deadline-brought-forward": "deadline brought forward",
    "budget-changed": "budget changed",
    "status-changed": "status changed",
    "reappeared": "published again",
}
"""Event kind → msgid of its label (the msgids are in every catalog)."""
COMPILE_TIME_SYNTAX = {
    "block_start_string": "[%", "block_end_string": "%]",
    "variable_start_string": "[[", "variable_end_string": "]]",
    "comment_start_string": "[#", "comment_end_string": "#]",
}
"""Delimiters of the layer run before MJML, so that ``{{ }}`` / ``{% %}`` reach the compiled HTML."""


@dataclass(frozen=True)
class RenderedEmail:
    """One recipient's digest email: both parts and the subject, in ``lang``."""

    subject: str
    html: str
    text: str
    lang: str


@dataclass(frozen=True)
class CallView:
    """What the email shows of one call, formatted and localized; strings are not yet escaped."""

    title: str
    url: str | None
    programme: str | None
    funder: str | None
    deadline: str | None
    days_left_text: str | None
    grant: str | None
    cofinancing: str | None
    reasons: tuple[str, ...]
    changes: tuple[str, ...]
    change_details: tuple[str, ...]
    notes: tuple[str, ...] = ()
    """The editor's notes on the call for this region, in the email's language (digest.editorial)."""
    also_reported: tuple[str, ...] = ()
    """The other sites that published the same call (merged into this one), by host name."""


class EmailRenderer:
    """Renders digests to emails; the MJML is compiled once per template × language and kept."""

    def __init__(self, templates_dir: Path | None = None):
        self.templates_dir = Path(templates_dir or TEMPLATES_DIR)
        self._envs: dict[str, jinja2.Environment] = {}
        self._compiled: dict[tuple[str, str], jinja2.Template] = {}
        self._contexts: dict[tuple, tuple[Digest, Controls | None, dict]] = {}

    def env(self, lang: str) -> jinja2.Environment:
        """The per-recipient Jinja2 environment of ``lang`` (autoescape on except for ``.txt``)."""
        tag = language_tag(lang)
        if tag not in self._envs:
            self._envs[tag] = jinja_env(tag, jinja2.FileSystemLoader(self.templates_dir))
        return self._envs[tag]

    def compiled(self, lang: str) -> jinja2.Template:
        """The HTML template of ``lang``: UI words put in, MJML compiled (once), recipient fields still open."""
        tag = language_tag(lang)
        key = (HTML_TEMPLATE, tag)
        if key not in self._compiled:
            words = self.env(tag).overlay(cache_size=0, **COMPILE_TIME_SYNTAX)
            source = words.get_template(HTML_TEMPLATE).render()
            self._compiled[key] = self.env(tag).from_string(mjml2html(source))
        return self._compiled[key]

    def render(
        self, digest: Digest, lang: str, *, site_url: str, unsubscribe_url: str, department: str,
        controls: Controls | None = None,
    ) -> RenderedEmail:
        """``digest`` in ``lang`` for one recipient, whose own ``unsubscribe_url`` goes in the footer.

        ``controls`` (:func:`digest.editorial.controls`) adds the editor's notes to the calls.
        """
        tag = language_tag(lang)
        context = dict(self._shared_context(digest, tag, site_url, department, controls))
        context["unsubscribe_url"] = safe_url(unsubscribe_url)
        if context["unsubscribe_url"] is None:
            raise ValueError(f"every email needs an http(s) unsubscribe link, got {unsubscribe_url!r}")
        html = self.compiled(tag).render(context).rstrip("\n") + "\n"
        text = self.env(tag).get_template(TEXT_TEMPLATE).render(context).rstrip("\n") + "\n"
        return RenderedEmail(subject=context["subject"], html=html, text=text, lang=tag)

    def _shared_context(self, digest: Digest, lang: str, site_url: str, department: str,
                        controls: Controls | None) -> dict:
        """:func:`digest_context`, formatted once per digest × language and reused for every recipient."""
        key = (id(digest), lang, site_url, department, id(controls))
        hit = self._contexts.get(key)
        if hit is not None and hit[0] is digest and hit[1] is controls:  # the same objects, not a reused id
            return hit[2]
        if len(self._contexts) >= 64:
            self._contexts.clear()
        context = digest_context(digest, lang, site_url=site_url, department=department, controls=controls)
        self._contexts[key] = (digest, controls, context)
        return context


def digest_context(
    digest: Digest, lang: str, *, site_url: str, department: str, controls: Controls | None = None
) -> dict:
    """The template fields of ``digest`` in ``lang`` that are the same for every recipient."""
    t = translations(lang)
    region = digest.region
    region_name = region.names.get(lang) or region.name
    heading = t.gettext("Grant digest: %(region)s") % {"region": region_name}
    week_label = t.gettext("Week %(week)s") % {"week": digest.week}
    failed = ", ".join(slug for slug, _ in digest.failed_sources)
    return {
        "subject": f"{heading} · {week_label}",
        "heading": heading,
        "week_label": week_label,
        "preview": _preview(digest, t),
        "deadline_note": t.gettext(NOTE),
        "top_title": t.gettext("Top matches for %(region)s") % {"region": region_name},
        "failed": failed,
        "failed_notice": t.gettext("Some sources could not be read this week: %(sources)s") % {"sources": failed},
        "empty": digest.is_empty,
        "sections": {key: [call_view(e, digest, lang, t, _notes(controls, e, digest, lang)) for e in entries]
                     for key, entries in digest.sections.items()},
        "site_url": safe_url(site_url),
        "see_all": t.ngettext("See the %(num)d call", "See all %(num)d calls", digest.total_matching)
        % {"num": digest.total_matching},
        "subscribed_note": t.gettext("You receive this email because you subscribed to the grant digest (%(region)s).")
        % {"region": region_name},
        "department_lines": [line.strip() for line in department.splitlines() if line.strip()],
    }


def call_view(entry: DigestEntry, digest: Digest, lang: str, t: Translations, notes: Iterable[str] = ()) -> CallView:
    """One entry as the email shows it: the deadline as published (the region's clock beside a timed one), money in
    ``lang``."""
    call, zone = entry.call, digest.region.zone
    deadline = deadlines.upcoming(call.deadlines, digest.now)
    today = deadlines.publisher_today(deadline, digest.now)  # reasons count days as the card does
    updates = [e for e in entry.changes if e.kind in UPDATE_KINDS]
    return CallView(
        title=_clean(call.title) or call.uid,
        url=safe_url(call.url),
        programme=_clean(call.programme),
        funder=_clean(call.funder),
        deadline=say_deadline(deadline, lang, [zone]) if deadline else None,
        days_left_text=days_left_text(deadline, digest.now, lang),
        grant=_grant(call.grant_min, call.grant_max, call.currency, lang, t) or _clean(call.grant_raw),
        cofinancing=_cofinancing(call.cofinancing_rate, lang, t) or _clean(call.cofinancing_raw),
        reasons=tuple(
            r for r in (_clean(say(r, lang, today)) for r in entry.classification.reasons[:MAX_REASONS]) if r
        ),
        changes=tuple(dict.fromkeys(t.gettext(CHANGE_LABELS[e.kind]) for e in updates)),
        change_details=tuple(d for d in (_deadline_move(e, lang, t) for e in updates) if d),
        notes=tuple(n for n in (_clean(note) for note in notes) if n),
        also_reported=also_reported(call),
    )


def also_reported(call) -> tuple[str, ...]:
    """Host names of the call's other publishers ("chnu.edu.ua", "mei.gov.rs"): its provenance less its own site."""
    own = _host(call.url)
    hosts = (_host(p.url) for p in call.provenance)
    return tuple(dict.fromkeys(h for h in hosts if h and h != own))


def _host(url: str | None) -> str | None:
    safe = safe_url(url)
    host = urlsplit(safe).hostname if safe else None
    return host.removeprefix("www.") if host else None


def _notes(controls: Controls | None, entry: DigestEntry, digest: Digest, lang: str) -> list[str]:
    return [n.text for n in controls.notes(entry.call, digest.region.id, lang)] if controls else []


def build_message(
    rendered: RenderedEmail, *, sender: str, recipient: str, unsubscribe_url: str,
    unsubscribe_mailto: str | None = None, date: datetime | None = None, message_id: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML; UTF-8) with one-click List-Unsubscribe (RFC 8058).

    ``unsubscribe_url`` must be https (RFC 8058); ``date`` and ``message_id`` default to now and a fresh id.
    """
    if urlsplit(unsubscribe_url).scheme.lower() != "https" or safe_url(unsubscribe_url) is None:
        raise ValueError(f"List-Unsubscribe needs an https URL, got {unsubscribe_url!r}")
    message = EmailMessage()
    subject, sender, recipient = header_text(rendered.subject), header_text(sender), header_text(recipient)
    if subject.isascii():
        message["Subject"] = subject
    else:  # pre-encoded: the stdlib's folding drops the space before a non-ASCII word at a fold (CPython 3.11)
        message.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid(domain=_domain(sender))
    targets = [f"<{unsubscribe_url}>"]
    if unsubscribe_mailto:
        mailto = unsubscribe_mailto if unsubscribe_mailto.startswith("mailto:") else f"mailto:{unsubscribe_mailto}"
        targets.append(f"<{mailto}>")
    message["List-Unsubscribe"] = ", ".join(targets)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text, subtype="plain", charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    message["Content-Language"] = rendered.lang  # after the parts: make_alternative moves Content-* headers down
    return message


def header_text(value: str) -> str:
    """``value`` on one header line: CR, LF and every other control character (scraped text may hold them)
    become one space, so no text can end a header and start another."""
    return " ".join(_CONTROLS.sub(" ", value).split())


_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def write_preview(messages: Iterable[tuple[str, EmailMessage, RenderedEmail]], out_dir: Path) -> list[Path]:
    """Write ``<name>.eml`` and ``<name>.html`` for every message (names made file-safe); the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, message, rendered in messages:
        stem = re.sub(r"[^\w.@-]+", "_", name).strip("._") or "message"
        eml, html = out_dir / f"{stem}.eml", out_dir / f"{stem}.html"
        eml.write_bytes(message.as_bytes())
        html.write_text(rendered.html, encoding="utf-8")
        written += [eml, html]
    return written


def _grant(low: Decimal | None, high: Decimal | None, currency: str | None, lang: str, t: Translations) -> str | None:
    if not currency or (low is None and high is None):
        return None
    if low is not None and high is not None and low != high:
        low_text, high_text = format_money(low, currency, lang), format_money(high, currency, lang)
        return t.gettext("%(min)s to %(max)s") % {"min": low_text, "max": high_text}
    if high is not None:
        amount = format_money(high, currency, lang)
        return amount if low == high else t.gettext("up to %(amount)s") % {"amount": amount}
    return t.gettext("from %(amount)s") % {"amount": format_money(low, currency, lang)}


def _cofinancing(rate: Decimal | None, lang: str, t: Translations) -> str | None:
    if rate is None:
        return None
    return t.gettext("up to %(share)s of eligible costs") % {"share": format_share(rate, lang)}


def _deadline_move(event: StoredEvent, lang: str, t: Translations) -> str | None:
    """"Deadline moved from 30 April to 15 May": each day as published (a change event keeps the publisher's clock)."""
    if event.kind not in ("deadline-extended", "deadline-brought-forward") or not (event.old and event.new):
        return None
    days = {name: published_day(value, lang) for name, value in (("old", event.old), ("new", event.new))}
    if None in days.values():
        return None
    return t.gettext("Deadline moved from %(old)s to %(new)s") % days


def _preview(digest: Digest, t: Translations) -> str:
    counts = [(t.gettext("New this week"), len(digest.new)), (t.gettext("Closing soon"), len(digest.closing_soon)),
              (t.gettext("Updated"), len(digest.updated))]
    return " · ".join(f"{label}: {n}" for label, n in counts if n)


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed (scraped text may carry newlines and tabs); None when empty."""
    return " ".join(text.split()) or None if text else None


def _domain(address: str) -> str | None:
    return parseaddr(address)[1].rpartition("@")[2] or None
