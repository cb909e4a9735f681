"""Facts out of the free text of call announcements: dates, money, applicant types.

Pure functions, regexes compiled at import, standard library only. Languages:
English, Ukrainian, Polish, Hungarian, Romanian, Serbian (Latin and Cyrillic).
Every value keeps the text it was read from (``raw``) so a parse can be audited.
"""

from calls.extract.applicants import APPLICANT_TYPES, find_applicant_types
from calls.extract.dates import FoundDate, find_dates, find_deadlines, find_opening, parse_date, parse_deadline
from calls.extract.money import Amount, find_budget, find_cofinancing, find_grant_range, parse_amount

__all__ = [
    "APPLICANT_TYPES",
    "Amount",
    "FoundDate",
    "find_applicant_types",
    "find_budget",
    "find_cofinancing",
    "find_dates",
    "find_deadlines",
    "find_grant_range",
    "find_opening",
    "parse_amount",
    "parse_date",
    "parse_deadline",
]
