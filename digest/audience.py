"""Who sees a call: the one rule behind the email, the site and the feeds (DESIGN §7, §8).

A call is *current* while it is open or forthcoming and a parsed deadline is still ahead (or none
is parsed): a call whose every deadline has passed is gone, whatever its source still says. A
region's readers see a current call when its classification for the region is top or relevant, or
the editor pinned it there, and the editor did not exclude it there. Every output asks here, so a
pinned call reaches the region's feeds as it reaches its email and pages.
"""

from __future__ import annotations

from datetime import datetime

from calls import deadlines
from calls.schema import SHOWN_TIERS, Call, Status
from calls.store import StoredClassification

PUBLISHED = (Status.OPEN, Status.FORTHCOMING)


def is_current(call: Call, now: datetime) -> bool:
    """Open or forthcoming, and not past its every parsed deadline."""
    if call.status not in PUBLISHED:
        return False
    parsed = [d for d in call.deadlines if d.at is not None]
    return not parsed or deadlines.upcoming(parsed, now) is not None


def sees(call: Call, verdict: StoredClassification | None, now: datetime, *, excluded: bool = False,
         pinned: bool = False) -> bool:
    """Whether the region ``verdict`` is for sees ``call`` (``excluded``/``pinned``: the editor's controls there)."""
    if verdict is None or excluded or not is_current(call, now):
        return False
    return pinned or verdict.tier in SHOWN_TIERS
