"""Reasons: the sentences that explain a classification, sayable in every UI language.

A :class:`Reason` *is* its English sentence (a ``str``), so code and stores that
only need English keep working; it also carries the English template (a gettext
msgid with ``%(name)s`` placeholders) and the values that fill it, so
``digest.reasons.say`` can put it into Ukrainian or Serbian through the same
catalogs as the rest of the UI. A value is one of:

- ``str`` or ``int``: said as is (keywords, call identifiers, quoted text, counts);
- :class:`Term`: an English vocabulary word with a catalog entry (a theme or
  applicant-type label, "the call's text");
- :class:`Names`: a proper name given per language (a region, a country);
- ``datetime.date``: a day, written as the reader's language writes dates;
- a nested :class:`Reason`, or a tuple of any of these (said as a list).

Reasons travel as JSON (:func:`encode` / :func:`decode`); a plain string decodes
to itself, so older stored reasons stay readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Union


class Term(str):
    """An English vocabulary word that the catalogs translate (a label, not free text)."""


class Names(str):
    """A proper name in several languages (BCP 47 tag → name); as a ``str`` it is the English one."""

    names: Mapping[str, str]

    def __new__(cls, names: Mapping[str, str], fallback: str = "") -> Names:
        english = names.get("en") or fallback or next(iter(names.values()), "")
        self = super().__new__(cls, english)
        self.names = dict(names)
        return self

    def __reduce__(self):
        return (Names, (self.names, str(self)))


Value = Union[str, int, date, "Reason", tuple]


class Reason(str):
    """An explanation: the English sentence, with the msgid and values to say it in another language."""

    msgid: str
    params: Mapping[str, Value]

    def __new__(cls, msgid: str, /, **params: Value) -> Reason:
        self = super().__new__(cls, msgid % {k: english(v) for k, v in params.items()} if params else msgid)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self):
        return (_rebuild, (self.msgid, self.params))


def _rebuild(msgid: str, params: Mapping[str, Value]) -> Reason:
    return Reason(msgid, **params)


def english(value: Value) -> str:
    """A value as the English sentence says it."""
    if isinstance(value, tuple):
        return ", ".join(english(v) for v in value)
    if isinstance(value, date):
        return f"{value:%d %b %Y}"
    return str(value)


def encode(reason: str) -> Any:
    """A JSON-ready form of ``reason`` (a plain string for a plain string)."""
    if not isinstance(reason, Reason):
        return str(reason)
    return {"msgid": reason.msgid, "params": {k: _encode_value(v) for k, v in reason.params.items()}}


def decode(data: Any) -> str:
    """The inverse of :func:`encode`: a :class:`Reason`, or the plain string it was."""
    if isinstance(data, str):
        return data
    return Reason(data["msgid"], **{k: _decode_value(v) for k, v in data.get("params", {}).items()})


def _encode_value(value: Value) -> Any:
    if isinstance(value, Reason):
        return {"reason": encode(value)}
    if isinstance(value, Term):
        return {"term": str(value)}
    if isinstance(value, Names):
        return {"names": dict(value.names), "text": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return {"list": [_encode_value(v) for v in value]}
    return value


def _decode_value(data: Any) -> Value:
    if not isinstance(data, dict):
        return data
    if "reason" in data:
        return decode(data["reason"])
    if "term" in data:
        return Term(data["term"])
    if "names" in data:
        return Names(data["names"], data.get("text", ""))
    if "date" in data:
        return date.fromisoformat(data["date"])
    if "list" in data:
        return tuple(_decode_value(v) for v in data["list"])
    raise ValueError(f"unknown reason value {data!r}")
