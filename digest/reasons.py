"""Saying a classification's reasons, and the vocabulary they use, in a UI language.

A :class:`calls.reasons.Reason` carries its English msgid and values; here the
msgid goes through the language's catalog and every value is said in that
language too: nested reasons recursively, vocabulary terms through the catalog,
proper names from their per-language names, days as the language writes dates.
A plain string (a reason stored before reasons were translatable, or an editor's
own text) is shown as it is.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from calls.reasons import Names, Reason, Term, Value
from digest.i18n import babel_locale, language_tag, translations


def say(reason: str, lang: str, today: date | None = None) -> str:
    """``reason`` in ``lang`` (its English text when the catalog lacks the sentence).

    ``today`` (the reader's day in the deadline publisher's calendar, see :func:`calls.deadlines.days_left`)
    recounts a deadline reason's days ("deadline in 12 days (30 Apr 2028)") as of the page or email, so it
    never disagrees with the days-left shown beside it when the call was classified days earlier.
    """
    if not isinstance(reason, Reason):
        return str(reason)
    tag = language_tag(lang)
    template = translations(tag).gettext(reason.msgid)
    if not reason.params:
        return template
    params = dict(reason.params)
    day = params.get("date")
    if today is not None and isinstance(params.get("days"), int) and isinstance(day, date) and day >= today:
        params["days"] = (day - today).days
    return template % {name: _value(value, tag) for name, value in params.items()}


def term(label: str, lang: str) -> str:
    """A vocabulary label (theme, applicant type) in ``lang``; unknown labels stay as they are."""
    return translations(language_tag(lang)).gettext(str(label))


def _value(value: Value, lang: str) -> str:
    if isinstance(value, Reason):
        return say(value, lang)
    if isinstance(value, Term):
        return term(value, lang)
    if isinstance(value, Names):
        return value.names.get(lang) or str(value)
    if isinstance(value, tuple):
        return ", ".join(_value(v, lang) for v in value)
    if isinstance(value, date):
        return format_date(value, "medium", locale=babel_locale(lang))
    return str(value)
