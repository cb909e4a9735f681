"""Types of eligible applicant named in free text, mapped to the controlled list.

Keyword tables per language (English, Ukrainian, Serbian Latin and Cyrillic,
Polish, Hungarian, Romanian). Give it the eligibility text where there is one:
on a whole page, words like "громади" or "media" may name a topic, not an
applicant. A sentence or list line that says who may *not* apply ("not
eligible", "не можуть", "ne mogu", "nie mogą", "nem pályázhat", "nu pot") is
skipped; a list under a "Not eligible:" heading on later lines is not.
Upper-case abbreviations (ГО, ОМС, JLS, NGO, UAT, KKV) match only in capitals.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from calls.extract.dates import Normalised
from calls.text import sentences

APPLICANT_TYPES = (
    "local-government", "regional-government", "ngo", "sme", "university", "school", "research",
    "public-body", "individual", "business", "cultural-institution", "media",
)
"""The controlled vocabulary of :attr:`calls.schema.Call.applicant_types`, in output order."""

# Order matters where phrases overlap: the more specific type comes first
# ("заклади вищої освіти" before "заклади освіти", "ФОП" before "фізичні особи",
# "megyei önkormányzat" before "önkormányzat", "громадські організації" before "громади").
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("regional-government", r"""
        regional(?=\s+(?:and\s+local\s+)?(?:public\s+)?(?:authorit|government|self-government|council|administration))
        |oblast\s+(?:state\s+)?(?:administration\w*|council\w*)|provincial\s+(?:authorit\w+|government\w*)
        |обласн\w+\s+(?:державн\w+\s+)?(?:адміністраці\w+|рад\w*)|(?-i:ОДА|ОВА)|районн\w+\s+(?:державн\w+\s+)?адміністраці\w+
        |pokrajinsk\w+\s+(?:organ\w*|uprav\w*)|покрајинск\w+\s+(?:орган\w*|управ\w*)
        |samorz[ąa]d\w*\s+wojew[óo]dztw\w*|urz[ąa]d\w*\s+marsza[łl]kowsk\w*
        |megyei\s+önkormányzat\w*|vármegyei\s+önkormányzat\w*
        |consili\w*\s+jude[țţ]e\w*|autorit[ăa][țţ]\w*\s+(?:publice\s+)?regional\w*
    """),
    ("local-government", r"""
        local\s+(?:self-)?government\w*|local\s+(?:public\s+)?authorit\w+|municipalit\w+|local\s+councils?|hromadas?
        |territorial\s+communit\w+|city\s+councils?|(?-i:LSGs?)
        |орган\w*\s+місцевого\s+самоврядування|(?-i:ОМС|ОТГ|ТГ)|територіальн\w+\s+громад\w*|громади|громадам\w*
        |(?:сільськ|селищн|міськ)\w+\s+(?:рад\w*|громад\w*)|місцев\w+\s+(?:рад\w*|влад\w*)
        |jedinic\w+\s+lokaln\w+\s+samouprav\w+|lokaln\w+\s+samouprav\w+|(?-i:JLS)|op[šs]tin\w+|gradov\w*
        |јединиц\w+\s+локалн\w+\s+самоуправ\w+|локалн\w+\s+самоуправ\w+|(?-i:ЈЛС)|општин\w+|градов\w*
        |jednost\w+\s+samorz[ąa]du\s+terytorialn\w+|(?-i:JST)|samorz[ąa]d\w*|gmin\w*|powiat\w*
        |(?:helyi|települési)\s+önkormányzat\w*|önkormányzat\w*
        |(?-i:UAT)|unit[ăa][țţ]\w*\s+administrativ-teritorial\w*|autorit[ăa][țţ]\w*\s+(?:ale\s+)?administra[țţ]iei\s+publice\s+locale
        |autorit[ăa][țţ]\w*\s+publice\s+locale|prim[ăa]ri\w*|consili\w*\s+local\w*
    """),
    ("ngo", r"""
        (?-i:NGOs?)|non-?governmental\s+organi[sz]ations?|non-?profit\s+(?:organi[sz]ations?|entities)|nonprofits
        |not-for-profit\s+organi[sz]ations?
        |civil\s+society\s+organi[sz]ations?|(?-i:CSOs?)|charit\w+|foundations|associations|(?:non-?profit|civic|citizens'?|youth)\s+association
        |громадськ\w+\s+(?:організац\w+|об'?’?єднан\w+|спіл\w+)|(?-i:ГО|ОГС|БО|БФ)|благодійн\w+\s+(?:фонд\w*|організац\w+)
        |організац\w+\s+громадянського\s+суспільства|неприбутков\w+\s+організац\w+|неурядов\w+\s+організац\w+
        |udru[žz]enj\w+|organizacij\w+\s+civilnog\s+dru[šs]tva|(?-i:OCD|NVO)|nevladin\w+\s+organizacij\w+|fondacij\w+|zadu[žz]bin\w+
        |удружењ\w+|организациј\w+\s+цивилног\s+друштва|(?-i:ОЦД|НВО)|невладин\w+\s+организациј\w+|фондациј\w+|задужбин\w+
        |organizacj\w+\s+pozarz[ąa]dow\w+|stowarzysze\w+|fundacj\w+
        |civil\s+szervezet\w*|nonprofit\s+szervezet\w*|egyesület\w*|alapítvány\w*
        |(?-i:ONG)|organiza[țţ]i\w+\s+neguvernamental\w*|asocia[țţ]i\w+|funda[țţ]i\w+
    """),
    ("sme", r"""
        (?-i:SMEs?)|small\s+and\s+medium(?:-sized)?\s+(?:sized\s+)?enterprises?|micro,?\s+small\s+and\s+medium\w*|micro-?enterprises?
        |(?-i:ФОП|МСП|МСБ)|фізичн\w+\s+ос\w+[-–\s]+підприєм\w+|мал\w+\s+(?:(?:та|і)\s+середн\w+\s+)?(?:підприєм\w+|бізнес\w*)|мікропідприєм\w+
        |(?-i:MSP|MSPP|МСПП)|mal\w+\s+i\s+srednj\w+\s+preduze[ćc]\w+|preduzetni\w+|мал\w+\s+и\s+средњ\w+\s+предузећ\w+|предузетни\w+
        |(?-i:MŚP)|ma[łl]\w+\s+i\s+[śs]redni\w+\s+przedsi[ęe]biorst\w+|mikroprzedsi[ęe]biorst\w+
        |(?-i:KKV)|kis-?\s+és\s+középvállalkozás\w*|mikrovállalkozás\w*
        |(?-i:IMM)|[îi]ntreprinderi\w*\s+mici\s+[șş]i\s+mijlocii|microîntreprinderi\w*
    """),
    ("university", r"""
        universit(?:y|ies)|higher\s+education\s+institutions?|(?-i:HEIs?)
        |(?-i:ЗВО)|заклад\w*\s+вищої\s+освіти|університет\w*
        |univerzitet\w*|fakultet\w*|visokoškolsk\w+\s+ustanov\w+|visok\w+\s+škol\w+|универзитет\w*|факултет\w*|високошколск\w+\s+установ\w+
        |uczelni\w*|szk[óo][łl]\w*\s+wy[żz]sz\w+|uniwersytet\w*
        |egyetem\w*|felsőoktatási\s+intézmény\w*|főiskol\w*
        |universit[ăa][țţ]\w*|institu[țţ]ii\s+de\s+[îi]nv[ăa][țţ][ăa]m[âa]nt\s+superior
    """),
    ("school", r"""
        schools?|educational\s+institutions?|kindergartens?|pre-?schools?
        |заклад\w*\s+(?:загальної\s+середньої\s+|дошкільної\s+|позашкільної\s+|професійн\w+\s+(?:\(професійно-технічної\)\s+)?)?освіти|школ\w+|ліце\w+|гімнази\w+|дитяч\w+\s+садк\w*
        |[šs]kol\w+|obrazovn\w+\s+ustanov\w+|ustanov\w+\s+obrazovanj\w+|vrti[ćc]\w*|школ\w+|образовн\w+\s+установ\w+|вртић\w*
        |szk[óo][łl]\w*|plac[óo]wk\w+\s+o[śs]wiatow\w+|przedszkol\w+
        |iskol\w+|oktatási\s+intézmény\w*|óvod\w+
        |[șş]coli\w*|unit[ăa][țţ]\w*\s+de\s+[îi]nv[ăa][țţ][ăa]m[âa]nt|gr[ăa]dini[țţ]\w*
    """),
    ("research", r"""
        research\s+(?:organi[sz]ations?|institut\w+|centres?|centers?|bodies|entities)|scientific\s+institut\w+
        |науков\w+\s+(?:установ\w+|організац\w+|інститут\w*)|науково-дослідн\w+\s+(?:установ\w+|інститут\w*)
        |nau[čc]no-?istra[žz]iva[čc]k\w+\s+organizacij\w+|istra[žz]iva[čc]k\w+\s+(?:organizacij\w+|institut\w*|centr\w*)|nau[čc]n\w+\s+institut\w*
        |научноистраживачк\w+\s+организациј\w+|истраживачк\w+\s+(?:организациј\w+|институт\w*)|научн\w+\s+институт\w*
        |jednostk\w+\s+naukow\w+|instytut\w*\s+badawcz\w+
        |kutatóintézet\w*|kutatóhely\w*|kutatási\s+szervezet\w*
        |institut\w*\s+de\s+cercetare|organiza[țţ]i\w+\s+de\s+cercetare
    """),
    ("public-body", r"""
        public\s+(?:authorit\w+|bod(?:y|ies)|institutions?|administrations?|entities|sector\s+bodies)|bodies\s+governed\s+by\s+public\s+law
        |state\s+(?:authorit\w+|institutions?|agencies)|government\s+agencies
        |орган\w*\s+державної\s+влади|державн\w+\s+(?:установ\w+|орган\w*)|бюджетн\w+\s+установ\w+|комунальн\w+\s+(?:заклад\w*|установ\w+|підприєм\w+)
        |javn\w+\s+(?:ustanov\w+|preduze[ćc]\w+|vlast\w*|organ\w*)|dr[žz]avn\w+\s+organ\w*|organ\w*\s+javne\s+vlasti|bud[žz]etsk\w+\s+korisni\w+
        |јавн\w+\s+(?:установ\w+|предузећ\w+|власт\w*)|државн\w+\s+орган\w*|орган\w*\s+јавне\s+власти|буџетск\w+\s+корисни\w+
        |jednost\w+\s+sektora\s+finans[óo]w\s+publicznych|instytucj\w+\s+publiczn\w+|administracj\w+\s+rz[ąa]dow\w+
        |közintézmény\w*|költségvetési\s+szerv\w*|állami\s+szerv\w*|közjogi\s+szerv\w*
        |institu[țţ]i\w+\s+publice|autorit[ăa][țţ]\w*\s+publice|organism\w*\s+de\s+drept\s+public
    """),
    ("individual", r"""
        individuals|natural\s+persons?|private\s+individuals
        |фізичн\w+\s+ос\w+
        |fizi[čc]k\w+\s+lic\w+|физичк\w+\s+лиц\w+
        |osob\w+\s+fizyczn\w+
        |magánszemély\w*|természetes\s+személy\w*
        |persoan\w+\s+fizic\w+
    """),
    ("business", r"""
        business(?:es)?|companies|enterprises|private\s+(?:sector|companies|entities)|commercial\s+entities|start-?ups?
        |підприєм\w+|суб'?’?єкт\w*\s+господарювання|бізнес\w*|компані\w+
        |privredn\w+\s+(?:dru[šs]tv\w+|subjekt\w*)|preduze[ćc]\w+|kompanij\w+|привредн\w+\s+(?:друштв\w+|субјект\w*)|предузећ\w+
        |przedsi[ęe]bior\w+|firm(?:y|om|ami)
        |vállalkozás\w*|gazdasági\s+társaság\w*|cég\w*
        |companii|societ[ăa][țţ]i\s+comerciale|operatori\s+economici|[îi]ntreprinderi\w*
    """),
    ("cultural-institution", r"""
        cultural\s+(?:institutions?|organi[sz]ations?)|museums?|librar(?:y|ies)|theat(?:re|er)s?|galler(?:y|ies)
        |заклад\w*\s+культури|музе(?:ї|їв|ям|ями)|бібліотек(?:и|ам|ами)|театр(?:и|ів|ам|ами)
        |ustanov\w+\s+kulture|muze\w+|bibliotek\w+|pozori[šs]t\w+|установ\w+\s+културе|музе\w+|библиотек\w+|позоришт\w+
        |instytucj\w+\s+kultury|muze\w+|bibliotek\w+|teatr\w*
        |kulturális\s+intézmény\w*|múzeum\w*|könyvtár\w*|színház\w*
        |institu[țţ]i\w+\s+(?:de\s+)?cultur\w+|muze\w+|bibliotec\w+|teatr\w*
    """),
    ("media", r"""
        media\s+(?:outlets?|organi[sz]ations?|companies)|mass\s+media|independent\s+media|journalists?|newsrooms?|broadcasters?
        |(?-i:ЗМІ)|засоб\w*\s+масової\s+інформації|медіа-?\s*організац\w+|журналіст\w*
        |mediji|medijsk\w+\s+(?:ku[ćc]\w+|organizacij\w+)|novinar\w*|медији|медијск\w+\s+(?:кућ\w+|организациј\w+)|новинар\w*
        |dziennikar\w+|nadawc\w+
        |médiaszolgáltató\w*|újságíró\w*|szerkesztőség\w*
        |jurnali[șş]ti\w*|institu[țţ]ii\s+media
    """),
)

def _alternatives(pattern: str) -> list[str]:
    """Top-level ``|`` branches of a (verbose) pattern, stripped."""
    branches, depth, in_class, escaped, current = [], 0, False, False, []
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    branches.append("".join(current).strip())
    return [branch for branch in branches if branch]


def _split_first(branch: str) -> tuple[str, str] | None:
    """(first-character class, rest) of a branch starting with a plain letter or a ``[...]`` class, else None."""
    if branch[0].isalpha():
        first, rest = branch[0], branch[1:]
    elif branch.startswith("[") and "]" in branch and "\\" not in branch[: branch.index("]")]:
        first, rest = branch[1 : branch.index("]")], branch[branch.index("]") + 1 :]
    else:
        return None
    if rest[:1] in ("?", "*", "+", "{"):
        return None
    return first, rest


def _compile() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern whose branches are bucketed by first letter: ``[lL](?:ocal…|…)``.

    A branch starting with a character class lets the regex engine skip it with
    one cheap test, so each word costs a few class tests instead of hundreds of
    case-insensitive comparisons. Branches that start otherwise (``(?-i:ГО)``)
    are tried first, whole. Within a bucket the table order is kept (specific
    phrases before general ones).
    """
    buckets: dict[str, list[tuple[str, str]]] = {}
    whole: list[tuple[str, str]] = []
    for name, words in _KEYWORDS:
        for branch in _alternatives(words):
            split = _split_first(branch)
            if split is None:
                whole.append((name, branch))
                continue
            first, rest = split
            for letter in sorted({c.lower() for c in first}):
                buckets.setdefault(letter, []).append((name, rest))
    groups: dict[str, str] = {}

    def named(name: str, body: str) -> str:
        group = f"g{len(groups)}"
        groups[group] = name
        return f"(?P<{group}>{body})"

    parts = [named(name, branch) for name, branch in whole]
    for letter, entries in buckets.items():
        cased = "".join(sorted({letter, letter.upper()}))
        body = "|".join(named(name, rest) for name, rest in entries)
        parts.append(f"[{re.escape(cased)}](?:{body})")
    pattern = rf"\b(?:{'|'.join(parts)})(?![^\W\d_])"  # \b: measured faster than a lookbehind
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE), groups


_PATTERN, _TYPE_OF_GROUP = _compile()
_ORDER = {name: position for position, name in enumerate(APPLICANT_TYPES)}

_NEGATION = re.compile(
    r"""(?<![^\W\d_])(?:not\s+eligible|ineligible|cannot\s+apply|may\s+not\s+apply|are\s+excluded|not\s+be\s+eligible
    |не\s+можуть|не\s+мають\s+права|не\s+приймаються|не\s+розглядаються|не\s+є\s+прийнятн\w+|не\s+допускаються
    |ne\s+mogu|nisu\s+prihvatljiv\w*|nemaju\s+pravo|не\s+могу|нису\s+прихватљив\w*|немају\s+право
    |nie\s+mog[ąa]|nie\s+kwalifikuj\w+|wykluczon\w+
    |nem\s+pályázhat\w*|nem\s+jogosult\w*|kizár\w+
    |nu\s+sunt\s+eligibil\w*|nu\s+pot)""",
    re.IGNORECASE | re.VERBOSE,
)
_CLAUSE = re.compile(r"(?<=[^\d\s])[.;!?](?:\s+|$)|\n")


_APPLYING = re.compile(
    r"""
    \bappl(?:y|ying|icants?|ications?)\b|\beligib\w*|\bopen\s+to\b|\binvit\w+|\bwho\s+(?:can|may)\b|\bbeneficiar\w+
    |\b(?:grants?|funding|calls?|support|programmes?|competitions?|scheme)\s+(?:is\s+|are\s+)?(?:for|to)\b|\btargets?\b|\bintended\s+for
    |заявник\w*|заявк\w*|подат\w*|подава\w*|учасник\w*|участ[іь]\w*|запрошу\w*|хто\s+може|отримувач\w*|бенефіціар\w*
    |(?:грант\w*|конкурс\w*|програм\w*|підтримк\w*|фінансуванн\w*)\s+(?:[^\W\d_]+\s+){0,3}для\b
    |pravo\s+u[čc]e[šs][ćc]\w*|podnosi\w+|prijav\w+|u[čc]esni\w+|korisni\w+|u[čc]estv\w+|namenjen\w*|namijenjen\w*|konkuris\w+
    |(?:konkurs|poziv)\w*\s+(?:[^\W\d_]+\s+){0,3}za\b
    |право\s+учешћ\w*|подноси\w+|пријав\w+|учесни\w+|корисни\w+|учеств\w+|намењен\w*|конкурис\w+
    |(?:конкурс|позив)\w*\s+(?:[^\W\d_]+\s+){0,3}за\b
    |wnioskodaw\w+|wnios\w+|uprawni\w+|beneficjen\w+|skierowan\w+|ubiega\w*
    |(?:nab[óo]r|konkurs|wsparci\w*|dotacj\w*|grant\w*|program\w*)\s+(?:[^\W\d_]+\s+){0,3}dla\b
    |pályáz\w+|jogosult\w*|kedvezményezett\w*|számára|benyújt\w*
    |solicitan\w+|eligibil\w+|pot\s+(?:aplica|depune|solicita|participa)|beneficiar\w+|adresat\w+|destinat\w+
    |(?:apel\w*|finan[țţ]are|granturi|program\w*|sprijin)\s+(?:[^\W\d_]+\s+){0,3}pentru\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
"""Wording that makes a sentence about who applies ("may apply", "Право учешћа", "konkurs za", "для громад")."""


def applicant_sentences(text: str) -> str:
    """The sentences of ``text`` that say who applies, one per line: where a post has no eligibility
    section, applicant types are read there, not from incidental words ("services for individuals with
    disabilities")."""
    return "\n".join(s for s in sentences(text) if _APPLYING.search(s))


def find_applicant_types(text: str) -> list[str]:
    """Controlled applicant types named in ``text``, in :data:`APPLICANT_TYPES` order, no repeats."""
    body = Normalised(text).text
    matches = list(_PATTERN.finditer(body))
    if not matches:
        return []
    ends = [match.end() for match in _CLAUSE.finditer(body)]
    negated = {bisect_right(ends, match.start()) for match in _NEGATION.finditer(body)}
    found = {
        _TYPE_OF_GROUP[match.lastgroup or ""]
        for match in matches
        if bisect_right(ends, match.start()) not in negated
    }
    return sorted(found, key=_ORDER.__getitem__)
