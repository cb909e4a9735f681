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
    Kind("http", True, "the server refused the page"),
    Kind("challenge", True, "an anti-bot page needs a browser; reach the source another way (feed, REST, sitemap)"),
    Kind("robots", True, "the site's robots.txt disallows this page; ask the owner or drop the source"),
    Kind("redirect_loop", True, "the site redirects in circles"),
    Kind("blocked_scheme", True, "only http and https are fetched"),
    Kind("offsite_redirect", True, "the site sends readers elsewhere: check the new host before allowing it"),
    Kind("too_large", True, "the response is far larger than any page; raise DOWNLOAD_MAXSIZE only if it is real"),
    Kind("bad_record", True, "records the spider could not read were left out; the others were kept"),
    Kind("format", True, "the site or API changed shape: the entry's selectors or the spider need updating"),
    Kind("filtered", False, "a quiet list, or the site's wording changed: check the source's filter"),
    Kind("empty_feed", False, "a quiet feed, or it is no longer the one the site updates"),
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


HTTP_ADVICE = {
    "404": "the page is gone: find where the site moved it and update the entry",
    "410": "the page is gone: find where the site moved it and update the entry",
    "401": "the page needs a login",
    "403": "the site refuses this client (blocked, or a login is needed)",
    "429": "the site asks to slow down: lower the source's rate",
    "5": "the site's server is failing; usually temporary",
}
"""Advice by HTTP status (or its first digit)."""


def say(kind: Kind, count: int, detail: str) -> str:
    """One cause as a reason: "HTTP 404 at https://… (3 times) — the page is gone: …"."""
    more = f" ({count} times)" if count > 1 else ""
    advice = kind.advice
    if kind.name == "http" and detail.startswith("HTTP "):
        status = detail[5:8]
        advice = HTTP_ADVICE.get(status) or HTTP_ADVICE.get(status[:1], advice)
    return f"{detail}{more} — {advice}" if advice else detail + more


def reason(stats: dict[str, Any]) -> tuple[Kind, str] | None:
    """The run's main cause and its wording, or None when nothing was recorded."""
    causes = recorded(stats)
    if not causes:
        return None
    kind, count, detail = causes[0]
    text = say(kind, count, detail)
    others = [f"{k.name} ×{n}" if n > 1 else k.name for k, n, _ in causes[1:]]
    return kind, text + (f"; also: {', '.join(others)}" if others else "")


NETWORK = frozenset({"dns", "refused", "timeout", "tls"})
"""Causes that say the network, not the site, is the problem when every source meets them."""


def network_down(stats_of_runs: list[dict[str, Any]]) -> bool:
    """True when every run (at least one) found nothing and was stopped by a network cause."""
    def stopped(stats: dict[str, Any]) -> bool:
        found = reason(stats)
        return not stats.get("item_scraped_count") and found is not None and found[0].name in NETWORK
    return bool(stats_of_runs) and all(stopped(s) for s in stats_of_runs)
