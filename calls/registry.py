"""The programme registry: what each funding programme is called, who funds it, how sources code it.

Data lives in ``calls/data/programmes.toml``; a department's config can add
entries under ``[programmes.<id>]``. Region eligibility facts (programme areas,
association of countries) are added to the same entries by the regions stage.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Programme:
    """One funding programme."""

    id: str
    """Registry key, e.g. ``horizon-europe``."""
    name: str
    """Display name, e.g. ``Horizon Europe``."""
    funder: str
    ftp_codes: tuple[str, ...] = ()
    """F&TP SEDIA ``frameworkProgramme`` codes (numeric strings)."""
    ftp_abbreviations: tuple[str, ...] = ()
    """Abbreviations the F&TP uses for it (``HORIZON``, ``DIGITAL``)."""
    extra: dict[str, Any] = field(default_factory=dict)


class Registry:
    """Programmes by id and by the codes sources use."""

    def __init__(self, programmes: list[Programme]):
        self.programmes = {p.id: p for p in programmes}
        self._by_ftp: dict[str, Programme] = {}
        for programme in programmes:
            for code in (*programme.ftp_codes, *programme.ftp_abbreviations):
                self._by_ftp[code.upper()] = programme

    def get(self, programme_id: str) -> Programme | None:
        return self.programmes.get(programme_id)

    def by_ftp_code(self, code: str | None) -> Programme | None:
        """The programme an F&TP ``frameworkProgramme`` value (code or abbreviation) stands for."""
        return self._by_ftp.get(code.strip().upper()) if code else None


def parse_programmes(data: dict[str, Any]) -> list[Programme]:
    out = []
    for pid, entry in data.get("programmes", {}).items():
        entry = dict(entry)
        out.append(
            Programme(
                id=pid,
                name=entry.pop("name"),
                funder=entry.pop("funder"),
                ftp_codes=tuple(str(c) for c in entry.pop("ftp_codes", ())),
                ftp_abbreviations=tuple(entry.pop("ftp_abbreviations", ())),
                extra=entry,
            )
        )
    return out


@cache
def default_registry() -> Registry:
    """The registry shipped with the package."""
    text = resources.files("calls.data").joinpath("programmes.toml").read_text(encoding="utf-8")
    return Registry(parse_programmes(tomllib.loads(text)))
