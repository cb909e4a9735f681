"""Building a call from a post: the part the generic spiders share.

A feed entry, a WordPress post and a listing's detail page all come down to a
title, a link, dates, categories and a body of text. :class:`PostSpider`
turns that into a :class:`Call` when the post announces one.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from calls.schema import SUMMARY_MAX, Call, Status
from calls.text import html_to_text, one_line, truncate
from spiders.announcements import classify_post, text_facts
from spiders.base import SourceSpider

CLOSED_WORDS = ("завершено", "закрито", "closed", "završen", "затворен", "zamknięty", "lezárult", "închis")


class PostSpider(SourceSpider):
    """Base of the generic spiders: post → call, with the source's call filter.

    Option ``filter``: ``"calls"`` (default) keeps only posts that announce a
    call; ``"all"`` keeps every post (a source that lists nothing but calls).
    Optional ``exclude`` and ``require`` map a post's ``url``, ``title`` or
    ``text`` to a regular expression: a post matching any ``exclude`` pattern
    is left out (tenders an aggregator mixes in), one not matching every
    ``require`` pattern too (a re-publisher's posts of other issuers); both
    are counted, never lost silently.
    """

    def post_call(
        self, *, native_id: str, title: str, url: str, text: str, categories: list[str] | None = None,
        published_at: datetime | None = None, published_at_raw: str | None = None,
        updated_at: datetime | None = None, updated_at_raw: str | None = None, **fields: Any,
    ) -> Call | None:
        """The call a post announces, or None (counted, with the reason in the debug log)."""
        title = one_line(title)
        if not title:
            self.count("posts/untitled")
            self.logger.warning("post without a title skipped: %s", url)
            return None
        if reason := self.screened_out(url=url, title=title, text=text):
            self.count(f"posts/{reason}")
            self.logger.debug("post left out (%s): %s", reason, url)
            return None
        if self.options.get("filter", "calls") != "all":
            verdict = classify_post(title, text, categories or [])
            if not verdict.is_call:
                self.count("posts/not_a_call")
                self.logger.debug("not a call (%s): %s", verdict.reason, url)
                return None
        if published_at is None:
            self.count("posts/no_date")
        language = self.source.languages[0] if self.source.languages else None
        facts = text_facts(text, self.source.zone, language, title=title, url=url)
        facts.update(fields)
        if "status" not in facts and _says_closed(text[:200]):
            facts["status"] = Status.CLOSED
        self.count("posts/calls")
        return self.make_call(
            native_id,
            title=title,
            url=url,
            summary=truncate(text, SUMMARY_MAX) or None,
            keywords=[one_line(c) for c in categories or [] if one_line(c)],
            published_at=published_at,
            published_at_raw=published_at_raw,
            updated_at=updated_at,
            updated_at_raw=updated_at_raw,
            kind=self.options.get("kind", "grant"),
            **facts,
        )

    def screened_out(self, **fields: str) -> str | None:
        """``"excluded"`` or ``"not_required"`` when the ``exclude``/``require`` options leave a post out."""
        for option, leaves_out, reason in (("exclude", True, "excluded"), ("require", False, "not_required")):
            for field, pattern in self.options.get(option, {}).items():
                if field not in fields:
                    raise ValueError(f"option {option}: unknown field {field!r} (one of {', '.join(fields)})")
                if bool(re.search(pattern, fields[field])) == leaves_out:
                    return reason
        return None


def plain(markup: str | None) -> str:
    """Plain text of untrusted post markup."""
    return html_to_text(markup or "")


def _says_closed(head: str) -> bool:
    lowered = head.lower()
    return any(word in lowered for word in CLOSED_WORDS)
