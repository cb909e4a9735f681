"""Why a source failed, named: network, HTTP, robots.txt, anti-bot page, redesign, filtered list, empty feed.

Scrapy middlewares (:mod:`spiders.causes`) record each failure as a crawl stat ``grantdigest/cause/<kind>``
(a count) with the first occurrence's detail in ``grantdigest/cause/<kind>/first`` ("HTTP 404 at https://…"). The run
recorder (:mod:`pipelines.runs`) turns them into the run's reason; ``grantdigest sources --probe`` reports
them per source. Only the final outcome of a request counts: a timeout that a retry cured is no cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PREFIX = "grantdigest/cause/"


@dataclass(frozen=True)
class Kind:
    """One kind of failure: its stat name, whether it makes a run fail outright, and how it is said."""

    name: str
    fails: bool
    """True when the source gave nothing usable (a wrong URL, a blocked site); False for a quiet list."""
    advice: str = ""
    """What to check, appended to the reason."""


KINDS = {k.name: k for k in (
    Kind("dns", True, "is this machine offline, or has the site moved?"),
    Kind("refused", True, "the server is down or the port is wrong"),
    Kind("timeout", True, "the site is slow or unreachable; raise the source's timeout if it is only slow"),
    Kind("tls", True, "the site's certificate or TLS setup is broken"),
    Kind("aborted", True, "the connection was cut before the page was whole"),
    Kind("http", True, "a wrong URL (404) or a blocked client (403): check the entry against the site"),
    Kind("challenge", True, "an anti-bot page needs a browser; reach the source another way (feed, REST, sitemap)"),
    Kind("robots", True, "the site's robots.txt disallows this page; ask the owner or drop the source"),
    Kind("redirect_loop", True, "the site redirects in circles"),
    Kind("blocked_scheme", True, "only http and https are fetched"),
    Kind("format", True, "the site or API changed shape: the entry's selectors or the spider need updating"),
    Kind("filtered", False, "the list was read, but nothing on it passed the source's filter"),
    Kind("empty_feed", False, "the feed is valid but holds no entries"),
)}
ORDER = tuple(KINDS)
"""The cause reported first when several are recorded: the most basic failure explains the others."""

def record(stats, kind: str, detail: str) -> None:
    """Count one failure of ``kind``; keep the first detail."""
    stats.inc_value(PREFIX + kind)
    if stats.get_value(PREFIX + kind + "/first") is None:
        stats.set_value(PREFIX + kind + "/first", detail)


def recorded(stats: dict[str, Any]) -> list[tuple[Kind, int, str]]:
    """The causes in a run's stats, most basic first: (kind, count, first detail)."""
    out = []
    for name in ORDER:
        count = stats.get(PREFIX + name, 0)
        if count:
            out.append((KINDS[name], int(count), str(stats.get(PREFIX + name + "/first", ""))))
    return out


def say(kind: Kind, count: int, detail: str) -> str:
    """One cause as a reason: "HTTP 404 at https://… (3 page(s)) — a wrong URL …"."""
    more = f" ({count} times)" if count > 1 else ""
    return f"{detail}{more} — {kind.advice}" if kind.advice else detail + more


def reason(stats: dict[str, Any]) -> tuple[Kind, str] | None:
    """The run's main cause and its wording, or None when nothing was recorded."""
    causes = recorded(stats)
    if not causes:
        return None
    kind, count, detail = causes[0]
    text = say(kind, count, detail)
    others = [f"{k.name} ×{n}" if n > 1 else k.name for k, n, _ in causes[1:]]
    return kind, text + (f"; also: {', '.join(others)}" if others else "")
