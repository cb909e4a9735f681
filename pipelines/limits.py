"""Participation limits: which countries a call's own text lets take part.

A programme's association says who *may* be invited; a call can narrow it, and when it
does the call's words win. This module reads those words:

- a **restriction**: a sentence with "only", "limited to", "must be established in",
  "лише", "тільки", "виключно", "samo", "isključivo", "wyłącznie", "tylko", "kizárólag",
  "csak", "doar", "numai", "exclusiv" … followed by the countries or groupings it admits
  ("participation is limited to legal entities established in Member States, Iceland and
  Norway and the following additional associated countries: Canada, …");
- an **exclusion**: countries named before "are not eligible", "не можуть", "ne mogu",
  "nie mogą", "nem jogosult", "nu sunt eligibile" …, or after "except", "крім", "osim",
  "z wyjątkiem", "kivéve", "cu excepția".

Country names and groupings ("Member States", "EEA", "Western Balkans", "IPA
beneficiaries", "Eastern Partnership", "associated countries") come from
``calls/data/places.toml``, in the seven languages calls arrive in. "Associated
countries" depend on the programme, so :meth:`Limit.admits` takes the association as an
argument. A limit the text does not state plainly (a grouping this module does not know,
wording far from the countries it names, a rule for lead applicants only) carries its
:class:`Doubt`: the classifier never calls a country eligible on a doubtful reading.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from calls.folding import fold, fold_words
from calls.text import sentences

QUOTE_MAX = 240
"""Longest quote of a limit's sentence, in characters (the reason shows it)."""


class Doubt(StrEnum):
    """Why a limit is only probable."""

    NONE = ""
    GROUPING = "grouping"
    """It names countries by a grouping whose members are not known ("third countries", "programme countries")."""
    LEAD_ONLY = "lead-only"
    """It is about lead applicants or coordinators; partners may come from elsewhere."""
    LOOSE = "loose"
    """Its restricting word is far from the countries, or after them mid-sentence."""


@dataclass(frozen=True)
class Limit:
    """One sentence that limits who may take part."""

    quote: str
    """The sentence as published (shortened around the limit when long)."""
    countries: frozenset[str]
    """ISO 3166-1 codes it admits, named or implied by a grouping."""
    associated: bool
    """It admits the countries associated to the call's programme."""
    excluded: frozenset[str]
    """ISO codes it shuts out."""
    doubt: Doubt = Doubt.NONE
    unresolved: bool = False
    """It also admits countries named by a grouping whose members are not known."""

    @property
    def restricts(self) -> bool:
        """It says who may take part (not only who may not)."""
        return bool(self.countries) or self.associated or self.unresolved

    def admits(self, country: str, associated: bool | None) -> bool | None:
        """Whether applicants from ``country`` may take part; None when the limit cannot tell.

        ``associated``: whether ``country`` is associated to the call's programme (None: unknown).
        """
        if country in self.excluded:
            return False
        if not self.restricts:
            return None
        if country in self.countries or (self.associated and associated):
            return True
        if self.unresolved or (self.associated and associated is None):
            return None
        return False


def find_limits(*texts: str | None) -> tuple[Limit, ...]:
    """Every participation limit stated in ``texts`` (eligibility conditions, summary), in order."""
    found: list[Limit] = []
    for text in texts:
        for sentence in sentences(text or ""):
            limit = _read(sentence)
            if limit is not None and limit not in found:
                found.append(limit)
    return tuple(found)


# ------------------------------------------------------------------ vocabulary

_RESTRICT = [
    "only$", "limited to$", "restricted to$", "exclusively$", "solely$", "open only$",
    "must be established", "must be registered", "must be based", "must be located", "must be legally established",
    "must have their registered", "must have its registered", "shall be established", "required to be established",
    "лише$", "тільки$", "виключно$", "винятково$", "обмежен", "обмежу",
    "мають бути зареєстрован", "повинні бути зареєстрован", "має бути зареєстрован", "повинен бути зареєстрован",
    "samo$", "isključivo$", "ograničen na$", "moraju biti registrovan", "mora biti registrovan",
    "moraju imati sedište", "mora imati sedište",
    "wyłącznie$", "tylko$", "jedynie$", "ograniczon do$", "muszą mieć siedzibę", "musi mieć siedzibę",
    "muszą być zarejestrowan", "musi być zarejestrowan",
    "kizárólag$", "kizárólagosan$", "csak$", "csakis$", "korlátozódik",
    "doar$", "numai$", "exclusiv$", "limitat la$", "limitată la$", "limitate la$",
    "trebuie să fie stabilit", "trebuie să aibă sediul", "trebuie să fie înregistrat", "trebuie să fie înființat",
]
"""Words that make a sentence a restriction when countries follow."""

_NOT_A_LIMIT_AFTER = [
    "one$", "1$", "a single", "once$", "if$", "when$", "after$", "where$", "in case", "for one$",
    "один$", "одну$", "одна$", "одне$", "якщо$", "раз$",
    "jedan$", "jednu$", "jedna$", "jednom$", "ako$", "jeden$", "jedną$", "jedno$", "jeśli$", "raz$",
    "egy$", "egyszer$", "ha$", "un$", "o$", "o singur", "dacă$", "o dată",
]
"""Words after "only" that make it about something else ("only one application per applicant")."""

_NEGATORS = {fold(w) for w in ("not", "не", "ne", "nie", "nem", "nu", "non")}
"""A restricting word right after one of these is "not only" ("не лише", "ne samo", "nem csak")."""

_EXCLUDE = [
    "not eligible", "ineligible", "are excluded", "is excluded", "cannot apply", "can not apply", "may not apply",
    "cannot participate", "may not participate", "not allowed to", "will not be considered", "are not accepted",
    "не можуть", "не є прийнятн", "не допускаю", "не мають права", "не розглядаю",
    "ne mogu", "nisu prihvatljiv", "nije prihvatljiv", "nemaju pravo", "isključen", "ne mogu učestvovati",
    "nie mogą", "nie kwalifikuj", "wykluczon", "nie są uprawnion",
    "nem pályázhat", "nem jogosult", "nem vehet", "kizárva$", "kizártak",
    "nu pot", "nu sunt eligibil", "nu este eligibil", "neeligibil", "exclus$", "excluse$", "excluși$",
]
"""Words that shut out the countries named before them."""

_EXCEPT = [
    "except$", "excluding$", "with the exception of", "other than$",
    "крім$", "окрім$", "за винятком", "osim$", "izuzev$", "z wyjątkiem", "kivéve$", "cu excepția", "excluzând$",
]
"""Words that shut out the countries named after them."""

_NOT_ESTABLISHED = [
    "not established", "not registered", "not based", "not located", "outside$",
    "не зареєстрован", "не є резидент", "за межами", "nisu registrovan", "nije registrovan", "van$", "izvan$",
    "nie mają siedziby", "niezarejestrowan", "poza$", "kívül", "nu sunt înregistrat", "nu au sediul",
    "nu sunt stabilit", "în afara",
]
"""Words that turn an exclusion into a restriction ("entities not established in the EU are not eligible")."""

_ROLES = [
    "lead partner", "lead applicant", "lead beneficiar", "lead organi", "coordinator", "coordinating",
    "головн заявник", "провідн партнер", "координатор", "основн заявник",
    "vodeći partner", "vodeć partner", "nosilac", "nosioc", "koordinator", "glavn podnosilac",
    "partner wiodąc", "wnioskodawc wiodąc", "lider projektu", "vezető partner", "főkedvezményezett",
    "partener principal", "partener lider", "beneficiar lider", "solicitant principal", "coordonator",
]
"""Words that make a limit about who may lead, not who may take part."""

_COMPOSITION = [
    "at least one", "at least two", "at least three", "one of the partners", "a partner$", "one partner$",
    "or a partner$", "хоча б один", "хоча б одн", "щонайменше один", "щонайменше одн", "принаймні один",
    "принаймні одн",
    "bar jedan", "bar jedn", "najmanje jedan", "najmanje jedn", "barem jedan", "barem jedn", "jedan od partner",
    "co najmniej jeden", "co najmniej jedn", "przynajmniej jeden", "przynajmniej jedn", "legalább egy",
    "cel puțin un", "cel puțin o", "minimum un", "minimum o",
    "together with", "in partnership with", "in cooperation with", "jointly with", "спільно з", "разом з",
    "у партнерстві з", "в партнерстві з", "zajedno sa", "u partnerstvu sa", "u saradnji sa", "razem z",
    "w partnerstwie z", "we współpracy z", "együtt$", "partnerségben", "împreună cu", "în parteneriat cu",
]
"""Words of a partnership rule ("at least one partner must be established in Ukraine"): not a limit on everyone."""

_WINDOW = 14
"""Most words between a restricting word and the first country it admits, for a plain reading."""


# ------------------------------------------------------------------ matching


@dataclass(frozen=True)
class _Mention:
    start: int
    """Index of the first word."""
    end: int
    """Index after the last word."""
    value: str
    """A country code or ``group:<id>`` (empty for a phrase of the other vocabularies)."""
    chars: tuple[int, int]
    """Span in the folded sentence."""


class _Vocabulary:
    """Stems (see ``places.toml``) matched against folded words, with their positions."""

    def __init__(self, entries: list[tuple[str, str]]):
        self._by_head: dict[str, list[tuple[tuple[tuple[str, bool], ...], str]]] = {}
        for stem, value in entries:
            words = _stem_words(stem)
            if words:
                self._by_head.setdefault(words[0][0][:3], []).append((words, value))

    def find(self, words: list[tuple[str, int, int]]) -> list[_Mention]:
        """Longest non-overlapping matches, left to right."""
        found: list[_Mention] = []
        i = 0
        while i < len(words):
            best: _Mention | None = None
            head = words[i][0]
            for key in {head[:1], head[:2], head[:3]}:
                for stems, value in self._by_head.get(key, ()):
                    n = len(stems)
                    if i + n > len(words) or (best is not None and n <= best.end - best.start):
                        continue
                    if all(words[i + j][0] == s if whole else words[i + j][0].startswith(s)
                           for j, (s, whole) in enumerate(stems)):
                        best = _Mention(i, i + n, value, (words[i][1], words[i + n - 1][2]))
            if best is None:
                i += 1
            else:
                found.append(best)
                i = best.end
        return found


_WORD = re.compile(r"[^\W_]+")


def _stem_words(stem: str) -> tuple[tuple[str, bool], ...]:
    """A stem's folded words, each with whether it must match a whole word (written ``word$``)."""
    out: list[tuple[str, bool]] = []
    for part in stem.split():
        whole = part.endswith("$")
        pieces = fold_words(part.rstrip("$"))
        out += [(piece, whole and k == len(pieces) - 1) for k, piece in enumerate(pieces)]
    return tuple(out)


@dataclass(frozen=True)
class _Data:
    places: _Vocabulary
    groups: dict[str, frozenset[str]]
    country_words: _Vocabulary
    restrict: _Vocabulary
    not_after: _Vocabulary
    exclude: _Vocabulary
    except_: _Vocabulary
    not_established: _Vocabulary
    roles: _Vocabulary
    composition: _Vocabulary
    markers: re.Pattern[str]
    """The first word of every restricting, excluding or excepting phrase: a sentence without one is skipped."""


@lru_cache(maxsize=1)
def _data() -> _Data:
    table = tomllib.loads(resources.files("calls.data").joinpath("places.toml").read_text(encoding="utf-8"))
    entries = [(stem, code) for code, stems in table["countries"].items() for stem in stems]
    groups = {}
    for gid, group in table["groups"].items():
        groups[gid] = frozenset(group["members"])
        entries += [(stem, "group:" + gid) for stem in group["stems"]]

    def vocabulary(stems: list[str]) -> _Vocabulary:
        return _Vocabulary([(s, "") for s in stems])

    return _Data(
        places=_Vocabulary(entries),
        groups=groups,
        country_words=vocabulary(table["country_words"]["stems"]),
        restrict=vocabulary(_RESTRICT),
        not_after=vocabulary(_NOT_A_LIMIT_AFTER),
        exclude=vocabulary(_EXCLUDE),
        except_=vocabulary(_EXCEPT),
        not_established=vocabulary(_NOT_ESTABLISHED),
        roles=vocabulary(_ROLES),
        composition=vocabulary(_COMPOSITION),
        markers=_heads(_RESTRICT + _EXCLUDE + _EXCEPT),
    )


def _heads(stems: list[str]) -> re.Pattern[str]:
    heads = sorted({words[0][0] for words in map(_stem_words, stems) if words}, key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, heads)) + ")")


def _read(sentence: str) -> Limit | None:
    """The limit ``sentence`` states, or None."""
    data = _data()
    folded = fold(sentence)
    if not data.markers.search(folded):
        return None
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]
    if data.composition.find(words):
        return None  # a rule for the partnership's make-up, not for who may take part
    places = data.places.find(words)
    negated = {p for p in places if p.start > 0 and words[p.start - 1][0] in _NEGATORS}
    # "associated countries: Canada, Israel, …" names the list that follows, not every associated country.
    labels = {p for p in places if p.value.startswith("group:") and folded[p.chars[1]:].lstrip()[:1] in (":", "(")}
    named = [p for p in places if p not in negated and p not in labels]
    covered = {i for p in places for i in range(p.start, p.end)}
    for p in places:
        if p.value.startswith("group:"):
            # "Eastern Partnership countries", "countries of the Western Balkans", "zemalja Zapadnog Balkana".
            covered |= {p.end, *range(max(0, p.start - 3), p.start)}
    restricts = [m for m in data.restrict.find(words) if _restricting(m, words, data)]
    excepts = data.except_.find(words)
    except_at = min((m.end for m in excepts), default=None)
    roles = bool(data.roles.find(words))

    if restricts:
        trigger = restricts[0]
        after = [p for p in named if p.start >= trigger.end]
        if after:
            admitted = [p for p in after if except_at is None or p.start < except_at or trigger.start > except_at]
            shut = [p for p in after if p not in admitted]
            loose = after[0].start - trigger.end > _WINDOW
            scope = range(trigger.end, len(words))
        else:
            before = [p for p in named if p.end <= trigger.start]
            if not before:
                if any(w.start >= trigger.end for w in data.country_words.find(words)):
                    # "limited to legal entities established in programme countries": a limit it cannot resolve.
                    return Limit(_quote(sentence, folded, words[trigger.start][1]), frozenset(), False,
                                 frozenset(), Doubt.GROUPING, unresolved=True)
                return None
            admitted, shut = before, []
            # "… open to organisations from Ukraine only." is plain; "… Serbia may only apply …" is not.
            loose = len(words) - trigger.end > 2
            scope = range(trigger.start)
        return _limit(sentence, folded, words, admitted, shut, scope, covered, roles, loose, data)

    exclusion = data.exclude.find(words)
    if exclusion:
        marker = exclusion[0]
        before = [p for p in named if p.end <= marker.start]
        if not before:
            return None
        if data.not_established.find(words[: marker.start]):
            # "Entities not established in the EU are not eligible": a restriction to the EU.
            return _limit(sentence, folded, words, before, [], range(marker.start), covered, roles, False, data)
        loose = marker.start - before[-1].end > _WINDOW
        return _limit(sentence, folded, words, [], before, range(marker.start), covered, roles, loose, data)

    if except_at is not None:
        shut = [p for p in named if p.start >= except_at]
        if shut:
            return _limit(sentence, folded, words, [], shut, range(except_at, len(words)), covered, roles, False, data)
    return None


def _restricting(trigger: _Mention, words: list[tuple[str, int, int]], data: _Data) -> bool:
    """Whether a restricting word restricts ("not only", "only one application" do not)."""
    if trigger.start > 0 and words[trigger.start - 1][0] in _NEGATORS:
        return False
    following = data.not_after.find(words[trigger.end : trigger.end + 3])
    return not (following and following[0].start == 0)


def _limit(
    sentence: str,
    folded: str,
    words: list[tuple[str, int, int]],
    admitted: list[_Mention],
    shut: list[_Mention],
    scope: range,
    covered: set[int],
    roles: bool,
    loose: bool,
    data: _Data,
) -> Limit:
    countries, excluded = _codes(admitted, data), _codes(shut, data)
    associated = any(m.value == "group:associated" for m in admitted)
    unknown_grouping = any(
        m.start + scope.start not in covered for m in data.country_words.find(words[scope.start : scope.stop])
    )
    if roles:
        doubt = Doubt.LEAD_ONLY
    elif unknown_grouping:
        doubt = Doubt.GROUPING
    elif loose:
        doubt = Doubt.LOOSE
    else:
        doubt = Doubt.NONE
    first = min((m.chars[0] for m in admitted + shut), default=0)
    return Limit(_quote(sentence, folded, first), countries, associated, excluded - countries,
                 doubt, unresolved=unknown_grouping and bool(admitted))


def _codes(mentions: list[_Mention], data: _Data) -> frozenset[str]:
    """The ISO codes ``mentions`` name, groupings expanded ("associated countries" has no fixed members)."""
    codes: set[str] = set()
    for mention in mentions:
        codes |= data.groups[mention.value[6:]] if mention.value.startswith("group:") else {mention.value}
    return frozenset(codes)


def _quote(sentence: str, folded: str, at: int) -> str:
    """``sentence``, shortened to :data:`QUOTE_MAX` characters around position ``at`` of its folded form."""
    sentence = " ".join(sentence.split())
    if len(sentence) <= QUOTE_MAX:
        return sentence
    # The folded text can be longer than the original (щ → sc); place the window proportionally.
    centre = int(at * len(sentence) / max(1, len(folded)))
    start = max(0, min(centre - QUOTE_MAX // 3, len(sentence) - QUOTE_MAX))
    cut = sentence[start : start + QUOTE_MAX].strip()
    return ("…" if start > 0 else "") + cut + ("…" if start + QUOTE_MAX < len(sentence) else "")
