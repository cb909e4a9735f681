"""Sums of money, budgets, grant sizes and co-financing rates in free text.

Conventions:

* Numbers: spaces, apostrophes and a separator repeated or followed by exactly
  three digits group thousands (``200 000``, ``10.000.000,00``, ``$50,000``);
  otherwise a single ``,``/``.`` is the decimal mark (``81,11``, ``28.5``).
* Scale words multiply: ``M``/``MEUR``/``million``/``млн``/``miliona``/``mln``,
  ``k``/``тис.``/``hiljada``/``ezer``/``mii``, ``bn``/``млрд``/``milliárd``.
* Every amount needs a currency (symbol, ISO code or word: ``грн``, ``dinara``,
  ``zł``, ``Ft``, ``lei``); bare numbers (phone numbers, years, ids) are not money.
* A range (``200 000 – 2 500 000 EUR``) shares its currency and scale;
  :func:`parse_amount` of a range is its upper end, :func:`find_grant_range`
  gives both ends, each with the whole range as ``raw``.
* Whole sums carry no decimals (``10.000.000,00 dinara`` -> ``Decimal("10000000")``).
* A budget is the first amount within 120 characters after a budget cue
  ("total budget", "EU contribution available", "загальний обсяг", "ukupan
  iznos", "budżet", "keret", "buget"), unless a per-grant cue ("per project",
  "po projektu", "на проєкт") ties it to one grant.
* Co-financing is returned as the *funder's* maximum share of costs, 0–1, as in
  :attr:`calls.schema.Call.cofinancing_rate`. A percentage tied to the
  applicant (own contribution, "власний внесок", "sopstveno učešće", "wkład
  własny", "önrész", "at least N %", "не менше N %") is the applicant's share and
  gives ``1 - N/100``; one tied to the funder (EU, programme, "funding rate",
  "dofinansowanie", "of eligible costs", "up to N %") is taken as is. With no cue
  either way, N ≥ 50 is the funder's share and N < 50 the applicant's:
  "співфінансування 10%" -> 0.9, "90% co-financing" -> 0.9.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from calls.extract.dates import Normalised

_SP = r"[^\S\n]"
_NUMBER = r"(?<![\d.,])(?:\d{1,3}(?:(?:[ '’]|[.,])\d{3}){1,5}(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\d])"

_CURRENCY_WORDS: dict[str, str] = {
    "EUR": r"EUR(?:O|OS)?|€|euros?|eura|evra|евра|євро|евро|euró",
    "USD": r"US\$|\$|USD|US\s+dollars?|dollars?|долар\w*|доллар\w*|dolar\w*|dollár\w*",
    "UAH": r"UAH|₴|грн\.?|гривень|гривн\w*|hryvni?as?",
    "RSD": r"RSD|dinar\w*|динар\w*|din\.|дин\.",
    "PLN": r"PLN|zł(?:otych)?|zlot\w*",
    "HUF": r"HUF|(?-i:Ft)|forint\w*",
    "RON": r"RON|lei|leu",
    "GBP": r"GBP|£|pounds?\s+sterling",
    "CHF": r"CHF",
    "NOK": r"NOK",
}
_CURRENCY_MATCHERS = [
    (code, re.compile(rf"(?:{words})", re.IGNORECASE)) for code, words in _CURRENCY_WORDS.items()
]
_CUR = r"(?:{})".format("|".join(_CURRENCY_WORDS.values()))
_CUR_EDGE = rf"(?<![^\W\d_])(?:{_CUR})(?![^\W\d_])"
_CUR_AFTER = rf"(?:{_CUR})(?![^\W\d_])"  # may follow a scale letter: "81,11 MEUR"

_SCALES: dict[str, Decimal] = {
    r"bn|billion\w*|mld\.?|mlrd\.?|млрд\.?|milliárd\w*|miliard\w*|milijard\w*|милијард\w*": Decimal(10) ** 9,
    (
        r"M|m|mn|mln\.?|mil\.|mio\.?|million\w*|millió\w*|milion\w*|milioane|мільйон\w*|милион\w*|миллион\w*|млн\.?"
    ): Decimal(10) ** 6,
    r"k|thousand\w*|тис\.?|тисяч\w*|тыс\.?|hiljad\w*|хиљад\w*|tys\.?|tysi[ęą]c\w*|ezer|mii": Decimal(1000),
}
_SCALE_MATCHERS = [(re.compile(rf"(?:{words})", re.IGNORECASE), factor) for words, factor in _SCALES.items()]
_SCALE = r"(?:{})".format("|".join(_SCALES))
_SCALE_EDGE = rf"(?:{_SCALE})(?:(?![^\W\d_])|(?={_CUR}))"
_TRAILING_SCALE = r"(?:{})(?![^\W\d_])".format("|".join(
    word for words in _SCALES for word in words.split("|") if len(word) > 1 and word not in ("mil.", "mii")))
"""A scale word after the currency, as the EU portal writes budgets: "30 EUR million" (no single letters)."""


def _amount_pattern(n: str) -> str:
    """One amount with optional currency before/after and scale; group names suffixed with ``n``."""
    return rf"""
        (?:(?P<pre{n}>{_CUR_EDGE}){_SP}*)?
        (?P<num{n}>{_NUMBER})
        (?:{_SP}*(?P<scale{n}>{_SCALE_EDGE}))?
        (?:{_SP}*(?P<post{n}>{_CUR_AFTER})(?:{_SP}*(?P<tail{n}>{_TRAILING_SCALE}))?(?!{_SP}*\d))?
    """


_GATE = r"(?=[\d€$£₴]|\b[^\W\d_]{1,8}(?:\s+[^\W\d_]{1,5})?[$.]?\s{0,3}[\d€$£₴])"
"""Cheap first check of the amount patterns: a digit or symbol, or a word or two before one."""
_SINGLE = re.compile(_GATE + _amount_pattern(""), re.IGNORECASE | re.VERBOSE)
_RANGE = re.compile(
    rf"""{_GATE}
    (?:(?P<from>from|between|від|od|од|de\s+la|între|з|с|između|између|között){_SP}+)?
    {_amount_pattern("1")}
    {_SP}*(?P<sep>[–—−-]|to|до|do|și|and|i|и|és){_SP}*(?:<|&lt;)?{_SP}*
    {_amount_pattern("2")}
    """,
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class Amount:
    """A sum of money."""

    value: Decimal
    """The sum, scale words applied (``81,11 MEUR`` -> 81110000)."""
    currency: str
    """ISO 4217 code."""
    raw: str
    """The text it was read from, as published."""


@dataclass(frozen=True)
class _Money:
    start: int
    end: int
    low: Decimal
    high: Decimal
    currency: str


# ------------------------------------------------------------------------- parsing


def _number(token: str) -> Decimal | None:
    """``"10.000.000,00"`` -> 10000000.00, ``"81,11"`` -> 81.11, ``"50,000"`` -> 50000."""
    text = re.sub(r"[\s'’]", "", token)
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
    elif dots + commas == 1:
        mark = "." if dots else ","
        decimal_mark = None if len(text) - text.index(mark) - 1 == 3 else mark
    else:
        decimal_mark = None
    if decimal_mark is None:
        text = text.replace(".", "").replace(",", "")
    else:
        group = "," if decimal_mark == "." else "."
        text = text.replace(group, "").replace(decimal_mark, ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _currency(word: str | None) -> str | None:
    if not word:
        return None
    for code, matcher in _CURRENCY_MATCHERS:
        if matcher.fullmatch(word):
            return code
    return None


def _scale(word: str | None) -> Decimal | None:
    if not word:
        return None
    for matcher, factor in _SCALE_MATCHERS:
        if matcher.fullmatch(word):
            return factor
    return None


def _side(match: re.Match[str], n: str) -> tuple[Decimal | None, Decimal | None, str | None, str | None]:
    """(number, scale, currency before, currency after) of one side of a match."""
    return (
        _number(match.group(f"num{n}")),
        _scale(match.group(f"scale{n}") or match.group(f"tail{n}")),
        _currency(match.group(f"pre{n}")),
        _currency(match.group(f"post{n}")),
    )


def _range(match: re.Match[str]) -> _Money | None:
    """A valid currency range, or None (``5 000 EUR to 10 partners`` is not one)."""
    n1, s1, pre1, post1 = _side(match, "1")
    n2, s2, pre2, post2 = _side(match, "2")
    if n1 is None or n2 is None:
        return None
    if post1 and not (post2 or pre2):
        return None
    currency = post2 or pre2 or pre1 or post1
    if currency is None or len({c for c in (pre1, post1, pre2, post2) if c}) > 1:
        return None
    if match.group("sep").lower() in ("i", "и", "and", "și", "és") and not match.group("from"):
        return None
    high = n2 * (s2 or 1)
    low = n1 * (s1 or (s2 if s2 and n1 < n2 else 1))
    if low >= high:
        return None
    return _Money(match.start(), match.end(), low, high, currency)


def _single(match: re.Match[str]) -> _Money | None:
    number, scale, pre, post = _side(match, "")
    currency = pre or post
    if number is None or currency is None:
        return None
    value = number * (scale or 1)
    return _Money(match.start(), match.end(), value, value, currency)


def _scan(text: str) -> list[_Money]:
    """Every amount and range of normalised ``text`` in text order; ranges win over their parts."""
    ranges = [m for m in map(_range, _RANGE.finditer(text)) if m is not None]
    starts = [m.start for m in ranges]
    found = list(ranges)
    for match in _SINGLE.finditer(text):
        money = _single(match)
        if money is None:
            continue
        before = bisect_left(starts, money.end) - 1  # the last range starting before this amount ends
        if before < 0 or ranges[before].end <= money.start:
            found.append(money)
    found.sort(key=lambda m: m.start)
    return found


@lru_cache(maxsize=16)
def _prepared(text: str) -> tuple[Normalised, tuple[_Money, ...]]:
    """Normalised text and its amounts; cached because a page is usually asked for budget, range and amount in a row."""
    norm = Normalised(text)
    return norm, tuple(_scan(norm.text))


def _amount(norm: Normalised, money: _Money, value: Decimal) -> Amount:
    if value == value.to_integral_value() and value.adjusted() < 28:  # quantize needs the digits to fit
        value = value.quantize(Decimal(1))  # 28.5M -> 28500000, not 28500000.0
    return Amount(value=value, currency=money.currency, raw=norm.raw(money.start, money.end).strip())


# ----------------------------------------------------------------------------- cues

_SENTENCE_END = re.compile(r"(?<=[^\d\s])[.;!?](?:\s+|$)|\n\s*\n")
_PER_GRANT = (
    r"each|per\s+(?:project|grant|applicant|beneficiary)|grant\s+(?:amount|size)|amount\s+of\s+(?:the\s+)?grant|individual\s+grants?"
    r"|на\s+(?:один\s+)?(?:проєкт|проект)\w*|сум\w*\s+гранту|розмір\w*\s+гранту|гранту|по\s+проєкту"
    r"|po\s+projektu|по\s+пројекту|po\s+prijavi|na\s+(?:jeden\s+)?projekt|na\s+proiect|per\s+proiect"
    r"|pályázatonként|projektenként|támogatás\s+összege|valoarea\s+grantului|kwota\s+dofinansowania"
)
_BUDGET_CUE = re.compile(
    r"""(?<![^\W\d_])(?:
    budget|total|allocation|allocated|financial\s+envelope|envelope|indicative\s+amount|amount\s+available
    |(?:EU|ERDF|IPA|programme|program)\s+(?:contribution|funds|funding)|contribution\s+available
    |available\s+(?:funds|funding|budget|amount|allocation|EU\s+contribution)|(?:funds|funding)\s+available
    |бюджет\w*|загальн\w+\s+обсяг\w*|обсяг\w*\s+фінансування|загальн\w+\s+сум\w*|фонд\s+конкурсу|загальний\s+фонд
    |iznos\w*|ukupan|ukupn\w+|sredstva|износ\w*|укупан|укупн\w+|средства
    |budżet\w*|alokacj\w+|pula|łączn\w+\s+kwot\w+
    |keret\w*|forrás\w*|rendelkezésre\s+álló
    |buget\w*|aloca\w+|valoare\w*\s+total\w*|fonduri\s+disponibile
    )(?![^\W\d_])""",
    re.IGNORECASE | re.VERBOSE,
)
_PER_GRANT_RE = re.compile(rf"(?<![^\W\d_])(?:{_PER_GRANT})(?![^\W\d_])", re.IGNORECASE)
_MAX_CUE = re.compile(
    rf"""(?<![^\W\d_])(?:
    up\s+to|maximum|max\.?|not\s+(?:to\s+)?exceed\w*|no\s+more\s+than|at\s+most|ceiling
    |до|не\s+більше|не\s+перевищу\w*|максимальн\w+|гранти?\s+до
    |do|najviše|maksimaln\w+|maksimum|највише|максимал\w+
    |maksymaln\w+|nie\s+więcej\s+niż|maks\.?
    |legfeljebb|maximális
    |p[âa]n[ăa]\s+la|maxim\w*|cel\s+mult
    |{_PER_GRANT}
    )(?![^\W\d_])""",
    re.IGNORECASE | re.VERBOSE,
)
_MIN_CUE = re.compile(
    r"""(?<![^\W\d_])(?:
    minimum|min\.?|at\s+least|not\s+less\s+than|no\s+less\s+than
    |мінімальн\w+|не\s+менше|щонайменше|від
    |najmanje|minimaln\w+|најмање|минимал\w+
    |co\s+najmniej|nie\s+mniej\s+niż
    |legalább|minimális
    |cel\s+pu[țţ]in|minim\w*
    )(?![^\W\d_])""",
    re.IGNORECASE | re.VERBOSE,
)

_PERCENT = re.compile(
    r"(?<![\d.,])(?P<n>\d{1,3}(?:[.,]\d{1,2})?)\s*(?:%|percent|per\s+cent|відсотк\w*|процент\w*|posto|odsto|процената|procen\w*|százalék\w*)",
    re.IGNORECASE,
)
_COFIN_CUE = re.compile(
    r"""(?<![^\W\d_])(?:
    co-?financ\w*|co-?fund\w*|cofinanc\w*|funding\s+rate|grant\s+rate|aid\s+intensity|(?:own|applicant'?s?)\s+contribution|match(?:ing)?\s+fund\w*|cost[-\s]shar\w*
    |співфінансуванн\w*|власн\w+\s+внес\w*|внес\w*
    |sufinansir\w*|суфинансир\w*|sopstven\w+\s+(?:učešć\w*|sredstav\w*)|сопствен\w+\s+(?:учешћ\w*|средстав\w*)|učešć\w*|учешћ\w*
    |dofinansowani\w*|współfinansowani\w*|wkład\w*(?:\s+własn\w*)?
    |társfinanszíroz\w*|támogatási\s+intenzitás\w*|önrész\w*|saját\s+forrás\w*
    |cofinan[țţ]are\w*|contribu[țţ]i\w*(?:\s+proprie)?|intensitate\w*
    )(?![^\W\d_])""",
    re.IGNORECASE | re.VERBOSE,
)
_APPLICANT_SIDE = re.compile(
    r"""own|applicant|власн|заявник|sopstven|сопствен|podnosi|подносил|wkład|wnioskodawc|önrész|saját|pályázó|propri|solicitant""",
    re.IGNORECASE | re.VERBOSE,
)
_APPLICANT_MAYBE = re.compile(
    r"""beneficiar|partner|match|cost[-\s]shar|грантоотримувач|отримувач|партнер|внес|korisni|корисни|učešć|учешћ|prijavi
    |beneficjent|kedvezményezett""",
    re.IGNORECASE | re.VERBOSE,
)
_FUNDER_SIDE = re.compile(
    r"""funding\s+rate|grant\s+rate|aid\s+intensity|\bEU\b|\bUE\b|European|Union|programme|program|ERDF|ENI|IPA|NDICI|donor
    |eligible\s+(?:costs?|expenditure)|ЄС|Європейськ|програм|донор|прийнятн\w+\s+витрат|EU-|Evropsk|ЕУ|Европск
    |opravdan\w+\s+troškov|dofinansowa|kwalifikowaln|Uni[ai]\s+Europejsk|támogatási\s+intenzitás|uniós|elszámolható
    |cheltuiel\w+\s+eligibile|Uniunea""",
    re.IGNORECASE | re.VERBOSE,
)


def _after_cue(
    cue: re.Pattern[str], text: str, found: Sequence[_Money], reach: int
) -> list[tuple[re.Match[str], _Money]]:
    """(cue, first amount starting within ``reach`` characters after it), in text order."""
    pairs = []
    for match in cue.finditer(text):
        for money in found:
            if match.end() <= money.start <= match.end() + reach:
                pairs.append((match, money))
                break
    return pairs


# ----------------------------------------------------------------------------- API


def parse_amount(text: str) -> Amount | None:
    """The first sum of money in ``text``; a range gives its upper end. None without a currency."""
    norm, found = _prepared(text)
    if not found:
        return None
    return _amount(norm, found[0], found[0].high)


def find_budget(text: str) -> Amount | None:
    """Total budget of the call: the first amount right after a budget cue, not a per-grant sum."""
    norm, found = _prepared(text)
    for cue, money in _after_cue(_BUDGET_CUE, norm.text, found, 120):
        between = norm.text[cue.end() : money.start]
        after = norm.text[money.end : money.end + 30]
        if _PER_GRANT_RE.search(between) or _PER_GRANT_RE.match(after.lstrip(" ,(")):
            continue
        if "\n\n" in between:
            continue
        return _amount(norm, money, money.high)
    return None


def find_grant_range(text: str) -> tuple[Amount | None, Amount | None]:
    """(smallest, largest) grant per project; either may be None.

    A currency range wins (``from 70 000 to 300 000 EUR``, ``від 100 000 до 500 000 грн``);
    else ``up to`` / ``maximum`` / ``максимальна сума гранту`` give the largest and
    ``minimum`` / ``не менше`` the smallest. Sums right after a budget cue are not grants.
    """
    norm, found = _prepared(text)
    for money in found:
        if money.low != money.high and not _is_budget(norm.text, money):
            return _amount(norm, money, money.low), _amount(norm, money, money.high)
    singles = [m for m in found if m.low == m.high and not _is_budget(norm.text, m)]
    low = next((m for _, m in _after_cue(_MIN_CUE, norm.text, singles, 40)), None)
    high = next((m for c, m in _after_cue(_MAX_CUE, norm.text, singles, 60) if m is not low), None)
    return (
        _amount(norm, low, low.low) if low else None,
        _amount(norm, high, high.high) if high else None,
    )


def _is_budget(text: str, money: _Money) -> bool:
    """Whether a budget cue (and no per-grant cue) stands shortly before ``money``."""
    before = _SENTENCE_END.split(text[max(0, money.start - 60) : money.start])[-1]
    cues = list(_BUDGET_CUE.finditer(before))
    if not cues:
        return False
    return not _PER_GRANT_RE.search(before[cues[-1].end() :]) and not _PER_GRANT_RE.match(
        text[money.end : money.end + 30].lstrip(" ,(")
    )


def find_cofinancing(text: str) -> tuple[Decimal | None, str | None]:
    """(funder's maximum share of costs 0–1, text it was read from), or (None, None).

    See the module docstring for how applicant and funder shares are told apart.
    """
    norm = Normalised(text)
    body = norm.text
    for cue in _COFIN_CUE.finditer(body):
        percent = _nearest_percent(body, cue)
        if percent is None:
            continue
        share = Decimal(percent.group("n").replace(",", ".")) / Decimal(100)
        if share > 1:
            continue
        start, end = min(cue.start(), percent.start()), max(cue.end(), percent.end())
        context = _SENTENCE_END.split(body[max(0, start - 40) : start])[-1] + body[start:end]
        context += _SENTENCE_END.split(body[end : end + 40])[0]
        span = body[start:end]
        if _applicant_side(cue.group(), span, context, share):
            share = Decimal(1) - share
        return share, norm.raw(start, end)
    return None, None


def _nearest_percent(text: str, cue: re.Match[str]) -> re.Match[str] | None:
    """The percentage closest to a co-financing cue in the same sentence (60 chars after, 40 before)."""
    after = _PERCENT.search(text, cue.end(), min(len(text), cue.end() + 60))
    if after is not None and re.search(r"[.;]\s|\n", text[cue.end() : after.start()]):
        after = None
    before = None
    for match in _PERCENT.finditer(text, max(0, cue.start() - 40), cue.start()):
        if not re.search(r"[.;]\s|\n", text[match.end() : cue.start()]):
            before = match
    if after is None or before is None:
        return after or before
    return after if after.start() - cue.end() <= cue.start() - before.end() else before


_MIN_WORDS = re.compile(
    r"at\s+least|minimum|not\s+less|no\s+less|не\s+менше|щонайменше|мінімум|najmanje|minimum|најмање|co\s+najmniej|nie\s+mniej|legalább|minim|cel\s+pu[țţ]in",
    re.IGNORECASE,
)
_MAX_WORDS = re.compile(
    r"up\s+to|maximum|max\.|not\s+exceed|до\s+\d|do\s+\d|najviše|maksim|највише|legfeljebb|maximum|p[âa]n[ăa]\s+la|cel\s+mult",
    re.IGNORECASE,
)


def _applicant_side(cue: str, span: str, context: str, share: Decimal) -> bool:
    """Whether a percentage is the applicant's own share rather than the funder's.

    In order: applicant words (own contribution, власний внесок, önrész), funder
    words (EU, programme, funding rate, of eligible costs), "at least" / "up to",
    words that lean to the applicant (beneficiary, partner, učešće), the
    surrounding clause, and last the size (under 50 % is the applicant's).
    """
    here = cue + " " + span
    if _APPLICANT_SIDE.search(here):
        return True
    if _FUNDER_SIDE.search(here):
        return False
    if _MIN_WORDS.search(span):
        return True
    if _MAX_WORDS.search(span):
        return False
    if _APPLICANT_MAYBE.search(here) or _APPLICANT_SIDE.search(context):
        return True
    if _FUNDER_SIDE.search(context):
        return False
    return share < Decimal("0.5")
