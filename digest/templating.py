"""The Jinja2 environment of every template (email, site): autoescape, gettext in one language, format filters.

Its own module because it joins :mod:`digest.i18n` (catalogs, dates, money) and
:mod:`digest.reasons` (which builds on i18n): neither imports the other's user.
"""

from __future__ import annotations

from jinja2 import BaseLoader, Environment, FileSystemLoader, select_autoescape

from digest import deadlines, reasons
from digest.i18n import TEMPLATES_DIR, format_money, format_share, language_tag, translations


def jinja_env(lang: str, loader: BaseLoader | None = None) -> Environment:
    """A Jinja2 environment in ``lang``: autoescaping (except ``.txt`` templates), gettext installed, format filters.

    Filters: ``deadline(*reader_zones)`` (a :class:`~calls.schema.Deadline`, see :mod:`digest.deadlines`),
    ``money(currency)``, ``share``, ``reason`` (a classification's reason, see :mod:`digest.reasons`) and ``term``
    (a theme or applicant-type label).
    """
    tag = language_tag(lang)
    env = Environment(
        loader=loader or FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(disabled_extensions=("txt",), default_for_string=True, default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(tag), newstyle=True)
    env.globals["lang"] = tag
    env.filters["deadline"] = lambda deadline, *readers: deadlines.say(deadline, tag, readers)
    env.filters["money"] = lambda amount, currency: format_money(amount, currency, tag)
    env.filters["share"] = lambda rate: format_share(rate, tag)
    env.filters["reason"] = lambda reason: reasons.say(reason, tag)
    env.filters["term"] = lambda label: reasons.term(label, tag)
    return env
