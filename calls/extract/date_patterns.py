"""Regular expressions and cue words of :mod:`calls.extract.dates`.

The building blocks of a date (day, month, year), a time of day and a zone name,
the date expression itself (:data:`DATE`), the time and zone next to it, the cue
words that tell a deadline from an opening or something else (:data:`CUES`,
looked for within :data:`WINDOW` characters before a date) and the stage labels
of multi-stage deadlines (:data:`STAGE`).
"""

from __future__ import annotations

import re
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from calls.extract.months import MONTH_PATTERN

MON = rf"(?:{MONTH_PATTERN})(?![^\W\d_])\.?"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
YEAR = r"(?:19|20)\d{2}(?!\d)"
YEAR_WORD = r"(?:року|рік|р\.|г\.|года|roku|r\.|godine|године|god\.|год\.|évi)"
SP = r"[^\S\n]"  # a space that is not a line break

DATE = re.compile(
    rf"""
    (?<![\d.,/+−-])  # a letter may touch a written-out date ("application3 April 2027" from glued spans)
    (?=[\d«„"]|\b[^\W\d_]{{3,12}}\.?[^\S\n]{{0,3}}\d)  # cheap gate: a digit, or a month-sized word then a digit
    (?:
      (?<![^\W\d_])(?P<iso>(?P<iso_y>{YEAR})-(?P<iso_m>0[1-9]|1[0-2])-(?P<iso_d>0[1-9]|[12]\d|3[01])
         (?:(?:T|{SP})(?P<iso_H>[01]\d|2[0-3]):(?P<iso_M>[0-5]\d)(?::(?P<iso_S>[0-5]\d)(?:\.\d+)?)?
            (?P<iso_off>Z|[+-]\d{{2}}:?\d{{2}})?)?(?![\d:])
      )
    | (?<![^\W\d_])(?P<ymd>(?P<ymd_y>{YEAR})(?P<ymd_sep>[./]){SP}?(?P<ymd_m>0?[1-9]|1[0-2])(?P=ymd_sep){SP}?
         (?P<ymd_d>{DAY})(?!\d)\.?)
    | (?<![^\W\d_])(?P<hu>(?P<hu_y>{YEAR})\.?{SP}*(?P<hu_mn>{MON}){SP}*(?P<hu_d>{DAY})(?!\d)
         (?P<hu_suf>-?(?:j?[éá]?ig|j?[eé]től|j?[aá]tól|t[őó]l|[éá]n|j[éá]n|i|ei|jei)(?![^\W\d_])|\.)?)
    | (?P<dm>[«„"]?(?P<dm_d>{DAY})[»“"]?(?:\.|st|nd|rd|th|-?(?:го|ого))?(?!\d)(?:{SP}*(?:of|de)\b)?(?:{SP}|-)*
         (?P<dm_mn>{MON})(?:(?:{SP}|[,-])*(?P<dm_y>{YEAR})(?:\.?{SP}*{YEAR_WORD}(?![^\W\d_]))?|-(?P<dm_yy>\d{{2}})(?!\d|[.:]\d))?)
    | (?<![^\W\d_])(?P<us>(?P<us_mn>{MON}){SP}*(?P<us_d>{DAY})(?:st|nd|rd|th)?(?![\d:.,]\d)(?!\d)
         (?:,?{SP}*(?P<us_y>{YEAR}))?)
    | (?<![^\W\d_])(?P<num>(?P<num_d>\d{{1,2}})(?P<num_sep>[./-]){SP}?(?P<num_m>\d{{1,2}})(?P=num_sep){SP}?
         (?P<num_y>(?:19|20)\d{{2}}|\d{{2}})(?![\d]|[.,/-]\d)(?:\.?{SP}*{YEAR_WORD}(?![^\W\d_]))?)
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)

ZONE_NAMES = rf"""
      (?P<tz_off>(?:UTC|GMT){SP}?[+−-]{SP}?\d{{1,2}}(?::?\d{{2}})?)
    | (?P<tz_cet>CEST|CET|MESZ|MEZ|Central{SP}European(?:{SP}Summer)?{SP}Time|Brussels(?:{SP}local)?{SP}time
        |Belgrade{SP}time|po{SP}beogradskom{SP}vremenu|по{SP}београдском{SP}времену)
    | (?P<tz_eet>EEST|EET|Eastern{SP}European(?:{SP}Summer)?{SP}Time|Kyiv(?:{SP}local)?{SP}time|Kiev{SP}time
        |за{SP}київським{SP}часом|київського{SP}часу|за{SP}Києвом|по{SP}київському{SP}часу
        |по{SP}киевскому{SP}времени|по{SP}Киеву|ora{SP}Rom[aâ]niei|ora{SP}Bucure[sș]tiului
        |Romanian?{SP}time|Bucharest{SP}time)
    | (?P<tz_utc>UTC|GMT)
    | (?P<tz_pl>czasu{SP}polskiego)
    | (?P<tz_hu>magyar{SP}id[őo]{SP}szerint)
    | (?P<tz_us>EDT|EST|Eastern{SP}Time|New{SP}York{SP}time)
"""
ZONE = rf"(?<![^\W\d_])(?:{ZONE_NAMES})(?![^\W\d_])"
ZONE_UNNAMED = re.sub(r"\(\?P<\w+>", "(?:", ZONE)
HOUR_WORD = r"(?:h|hrs|hours|год\.?|годин[аиі]?|ч\.?|часов|часова|časova|sati|сати|óra|órakor|óráig|uhr)(?![^\W\d_])"
MERIDIEM = rf"(?:[ap]\.?{SP}?m\.?)(?![^\W\d_])"
TIME = rf"""
    (?:(?P<H>[01]?\d|2[0-3])[:.](?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?(?!\d|\.\d)
        (?:{SP}*(?P<ap>{MERIDIEM}))?(?:{SP}*{HOUR_WORD})?
     | (?P<H2>1[0-2]|0?[1-9]){SP}*(?P<ap2>{MERIDIEM})
     | (?P<H3>[01]?\d|2[0-3]){SP}*{HOUR_WORD})
"""
TIME_AFTER = re.compile(
    rf"""
    {SP}*(?:[.,–—/@·|-]{SP}*)?(?P<open>\({SP}*)?
    (?:(?:at|by|before|until|till|in|ora|orele|la|о|об|до|do|u|у|в|godz\.?|godziny|godzina|à|години){SP}+){{0,2}}
    {TIME}
    (?:{SP}*[(,]?{SP}*{ZONE}{SP}*(?(open)|\)?))?
    (?:{SP}*\({SP}*{ZONE_UNNAMED}{SP}*\))?
    (?(open){SP}*\))
    """,
    re.IGNORECASE | re.VERBOSE,
)
TIME_BEFORE = re.compile(
    rf"""
    {TIME}(?:{SP}*\(?{SP}*{ZONE}{SP}*\)?)?
    {SP}*(?:,|on|of|the|дня|dnia|dana|de|\(|-|–)?{SP}*(?:on|the)?{SP}*\Z
    """,
    re.IGNORECASE | re.VERBOSE,
)
ZONE_ANYWHERE = re.compile(ZONE, re.IGNORECASE | re.VERBOSE)
ZONE_AFTER = re.compile(rf"{SP}*\(?{SP}*{ZONE}{SP}*(?:\)|(?!\)))", re.IGNORECASE | re.VERBOSE)

BRUSSELS = ZoneInfo("Europe/Brussels")
ZONES: dict[str, tzinfo] = {
    "tz_cet": BRUSSELS,
    "tz_eet": ZoneInfo("Europe/Kyiv"),
    "tz_utc": UTC,
    "tz_pl": ZoneInfo("Europe/Warsaw"),
    "tz_hu": ZoneInfo("Europe/Budapest"),
    "tz_us": ZoneInfo("America/New_York"),
}

# Cue words. Strong cues count anywhere in the window before a date; weak ones only
# right before it ("until 3 April", "до 15 грудня", "od 1. marta").
CUE_SUPERSEDED = r"""
    originally|initially|previously|formerly|old\s+deadline|instead\s+of|(?:extended|postponed|moved|changed)\s+from
    |was\s+(?:scheduled|planned)|first\s+announced
    |раніше|замість|попередньо|первісно|спочатку|(?:перенесено|продовжено)\s+з|вместо|ранее
    |prvobitno|umesto|ranije|првобитно|уместо|раније
    |pierwotnie|zamiast|wcześniej
    |eredetileg|helyett|korábban
    |ini[țţt]ial|[îi]n\s+loc\s+de|anterior
"""
CUE_OTHER = r"""
    (?:br\.|broj|бр\.|број|№|no\.|nr\.?|n°)\s*[\w/.-]*\d[\w/.-]*
        \s+(?:od|од|від|from|of|dated|z|din)  # "Rešenje br. 12/2023 od"
    |dated|publish\w*|posted|updated|last\s+modified|info(?:rmation)?\s+(?:day|session)|webinar|event|conference|workshop
    |(?:project|implementation)\s+(?:start|period|end)|start\s+of\s+(?:the\s+)?(?:project|implementation|activities)
    |implementation|duration|results?|decision|approved|signed|selected
    |затверджен\w*|схвален\w*|odobren\w*|одобрен\w*|zatwierdzon\w*|jóváhagy\w*|aprobat\w*
    |опубліковано|оприлюднено|публікац\w*|оновлено|вебінар\w*|інформаційн\w+\s+(?:день|сесі\w+)|реалізаці\w+|результат\w*|рішення
    |objavljen\w*|objava|ažurirano|info\s+dan|informativn\w+|realizacij\w+|rezultat\w*|odluk\w+
    |објављен\w*|објава|реализациј\w+|резултат\w*|одлук\w+
    |opublikowan\w*|publikacj\w+|aktualizacj\w+|dzień\s+informacyjny|realizacj\w+|wynik\w*
    |közzét\w+|frissítve|információs\s+nap|megvalósítás\w*|eredmény\w*
    |publicat\w*|actualizat|sesiune\s+de\s+informare|implementare|rezultat\w*
"""
CUE_DEADLINE = r"""
    deadlines?|due(?:\s+date)?|closing(?:\s+date)?|closes?|closed|cut-?off|expir\w+|no\s+later\s+than|not\s+later\s+than
    |end\s+date|submission\s+date|apply\s+by|(?:extended|postponed|moved)\s+to|now\s+set\s+for|new\s+date
    |кінцев\w+\s+термін\w*|крайн\w+\s+термін\w*|закінчення|завершення|дедлайн\w*|термін\w*|не\s+пізніше|приймаються\s+до
    |продовжено\s+до|перенесено\s+на|актуально\s+до|срок\w*|окончани\w+
    |rok(?:\s+za\s+(?:prijav\w+|podno[šs]enje\w*))?|zaklju[čc]no(?:\s+sa)?|najkasnije|produ[žz]en\w*\s+do|konkurs\s+traje\s+do
    |рок(?:\s+за\s+(?:пријав\w+|подношење\w*))?|закључно(?:\s+са)?|најкасније|конкурс\s+траје\s+до
    |termin\w*|najpóźniej|nabór\s+trwa\s+do|przedłużon\w+\s+do
    |határid\w+|beadás\w*|benyújtás\w*
    |termen(?:ul)?(?:\s+limit[ăa])?|data(?:-|\s+)limit[ăa]|[îi]nchidere\w*
"""
CUE_OPENING = r"""
    opens?|opening|opened|open|launch(?:ed|es)?|start(?:s|ing)?(?:\s+date)?|available\s+from|accepted\s+from|call\s+for\s+proposals\s+from
    |відкриття|початок|старт|оголошено|приймаються\s+з|открыти\w+|начало
    |otvaranje|otvoren\w*|po[čc]etak|po[čc]ev\s+od|отварање|отворен\w*|почетак|почев\s+од
    |otwarci\w+|rozpocz\w+|nabór\s+od|start\s+naboru
    |megnyit\w*|nyitva|kezdet\w*|indul\w*
    |deschidere\w*|lansare\w*|[îi]ncep[âa]nd(?:\s+cu)?|data\s+deschiderii
"""
CUE_WEAK_DEADLINE = (
    r"until|till|by|before|through|to|до|по|do|до\s+дня|do\s+dnia"
    r"|p[âa]n[ăa]\s+la\s+data\s+de|p[âa]n[ăa]\s+(?:la|pe|[îi]n)"
)
CUE_WEAK_OPENING = r"from|since|від|з|із|с|od|од|od\s+dnia|de\s+la|din"

CUES = re.compile(
    rf"""(?<![^\W\d_])(?:
      (?P<superseded>{CUE_SUPERSEDED})
    | (?P<other>{CUE_OTHER})
    | (?P<deadline>{CUE_DEADLINE})
    | (?P<opening>{CUE_OPENING})
    | (?P<weak_deadline>{CUE_WEAK_DEADLINE})
    | (?P<weak_opening>{CUE_WEAK_OPENING})
    )(?![^\W\d_])""",
    re.IGNORECASE | re.VERBOSE,
)
ADJACENT = re.compile(r"[\s:,(–—-]*(?:(?:the|on|dnia|dana|дня|day)\s*)?[\s:,(–—-]*\Z", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?:(?<=[^\W\d_]{3})[.!?]|(?<=[)\]])\.|;)\s+(?=\S)")  # not after "br.", "No.", "r."
CUE_KIND = {
    "superseded": "other", "other": "other", "deadline": "deadline", "opening": "opening",
    "weak_deadline": "deadline", "weak_opening": "opening",
}
HU_DEADLINE_SUFFIX = re.compile(r"-?j?[éá]?ig\Z", re.IGNORECASE)
HU_OPENING_SUFFIX = re.compile(r"-?(?:j?[eé]től|j?[aá]tól|t[őó]l)\Z", re.IGNORECASE)
DASH = re.compile(r"\s*[–—-]\s*\Z")
CONNECTOR = re.compile(
    r"[\s,;()]*(?:and|or|&|та|і|й|и|i|oraz|lub|és|vagy|și|sau|ili|или|та/або)?[\s,;()]*\Z", re.IGNORECASE
)

STAGE_WORDS = (
    r"stage|phase|cut-?off|round|step|етап|фаза|раунд|етапі|faza|krug|etap|fáz\w*|forduló|szakasz|etapa|etapă"
)
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "перший": 1, "другий": 2, "третій": 3,
    "перша": 1, "друга": 2, "третя": 3, "prvi": 1, "drugi": 2, "treći": 3, "prva": 1, "druga": 2,
    "treća": 3, "први": 1, "други": 2, "трећи": 3, "прва": 1, "трећа": 3, "pierwszy": 1,
    "pierwsza": 1, "első": 1, "második": 2, "harmadik": 3, "prima": 1, "primul": 1, "a doua": 2, "al doilea": 2,
    "a treia": 3,
}
STAGE = re.compile(
    rf"""(?<![^\W\d_])(?:
      (?P<word1>{STAGE_WORDS})\s*(?:no\.?|№|nr\.?)?\s*(?P<n1>\d{{1,2}})(?!\d|[.,/:]\d)
    | (?P<n2>\d{{1,2}})(?:st|nd|rd|th|\.|-?(?:й|ий|ій))?\s*(?P<word2>{STAGE_WORDS})
    | (?P<ord>{"|".join(sorted(ORDINALS, key=len, reverse=True))})\s+(?P<word3>{STAGE_WORDS})
    )(?![^\W\d_])""",
    re.IGNORECASE | re.VERBOSE,
)
STAGE_AFTER = re.compile(rf"[^\S\n]*[(\[–—-]?[^\S\n]*(?:{STAGE.pattern})", re.IGNORECASE | re.VERBOSE)

WINDOW = 90
"""Characters before a date searched for cue words."""
