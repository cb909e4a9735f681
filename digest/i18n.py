"""UI words and locale-aware formatting for the email and the site (uk, sr-Latn, sr-Cyrl, en).

The words live in gettext catalogs, ``digest/locale/<catalog>/LC_MESSAGES/messages.po``;
they are compiled in memory on first use (no ``.mo`` files in git). Templates get
them through Jinja2's i18n extension in its "newstyle" form, so placeholders are
``%(name)s`` and ``ngettext`` fills ``%(num)d`` itself::

    {{ _("Top matches for %(region)s", region=region_name) }}
    {{ ngettext("%(num)d day left", "%(num)d days left", days) }}

Refresh the template of msgids with ``pybabel extract -F babel.cfg -o messages.pot .``
and add each new msgid to all four catalogs (``tests/test_i18n.py`` checks they agree).
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_percent
from babel.support import Translations

LANGUAGES = ("uk", "sr-Latn", "sr-Cyrl", "en")
"""UI languages as BCP 47 tags (the tags of :attr:`RegionProfile.digest_languages`)."""
CATALOGS = {"uk": "uk", "sr-Latn": "sr_Latn", "sr-Cyrl": "sr_Cyrl", "en": "en"}
"""BCP 47 tag → catalog folder and Babel locale identifier."""
ALIASES = {"sr": "sr-Cyrl", "sr-RS": "sr-Cyrl", "sr-Latn-RS": "sr-Latn", "sr-Cyrl-RS": "sr-Cyrl", "uk-UA": "uk"}
"""Other spellings readers' settings use; plain ``sr`` is Cyrillic, the official script."""
LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
DOMAIN = "messages"


class UnknownLanguage(ValueError):
    """A language the UI is not translated into."""


def language_tag(lang: str) -> str:
    """The BCP 47 tag of ``lang`` given as a tag, an alias or a catalog name (``sr_Latn``), any case."""
    wanted = lang.replace("_", "-").lower()
    for tag in (*LANGUAGES, *ALIASES):
        if tag.lower() == wanted:
            return ALIASES.get(tag, tag)
    raise UnknownLanguage(f"no UI translation for language {lang!r}; known: {', '.join(LANGUAGES)}")


def catalog_name(lang: str) -> str:
    """The catalog folder (and Babel locale id) of ``lang``: ``sr-Latn`` → ``sr_Latn``."""
    return CATALOGS[language_tag(lang)]


FORMATS = {"en": "en_GB"}
"""Catalog → the Babel locale dates and numbers are written in, where it differs: English as written in Europe
("30 April 2028, 17:00", not "April 30, 2028, 5:00 PM")."""


@cache
def babel_locale(lang: str) -> Locale:
    name = catalog_name(lang)
    return Locale.parse(FORMATS.get(name, name))


def po_path(lang: str) -> Path:
    return LOCALE_DIR / catalog_name(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(lang: str) -> Translations:
    """The catalog of ``lang``, compiled from its ``.po`` once per process."""
    return _compile(catalog_name(lang))


@cache
def _compile(name: str) -> Translations:
    with (LOCALE_DIR / name / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=name, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def format_moment(moment: datetime, tz: tzinfo | str, lang: str) -> str:
    """A timestamp (a run, an update; deadlines go through :mod:`digest.deadlines`) in zone ``tz``:
    "20 січня 2027 р., 18:00", "20. januar 2027. 18:00", "20 January 2027, 18:00"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a moment must be timezone-aware, got naive {moment.isoformat()}")
    return format_wall_clock(moment.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz), lang)


def format_wall_clock(moment: datetime, lang: str) -> str:
    """Day and time of ``moment`` on its own wall clock, joined as ``lang`` joins them."""
    clock = format_clock(moment.time().replace(tzinfo=None, fold=0), lang)
    return _joined(lang).replace("{0}", clock).replace("{1}", format_day(moment.date(), lang))


@cache
def format_day(day: date, lang: str) -> str:
    """A day, long form: "30 April 2028", "30 квітня 2028 р.", "30. април 2028."."""
    return _format_date(day, "long", locale=babel_locale(lang))


@cache
def format_clock(clock: time, lang: str) -> str:
    """A time of day: "17:00"."""
    return format_time(clock, "short", locale=babel_locale(lang))


@cache
def _joined(lang: str) -> str:
    # Babel's own joining of a date and a time pattern (quotes are literal markers)
    return get_datetime_format("long", locale=babel_locale(lang)).replace("'", "")


def format_money(amount: Decimal | int | float, currency: str, lang: str) -> str:
    """An amount with its ISO 4217 currency in ``lang``'s conventions; whole amounts without decimals."""
    locale = babel_locale(lang)
    value = Decimal(str(amount))
    if value == value.to_integral_value():
        pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
        return format_currency(value, currency, pattern, locale=locale, currency_digits=False)
    return format_currency(value, currency, locale=locale)


def format_share(rate: Decimal | float, lang: str) -> str:
    """A share 0–1 as a percentage: ``0.9`` → "90%" (or "90 %", as ``lang`` writes it)."""
    return format_percent(Decimal(str(rate)), locale=babel_locale(lang))
