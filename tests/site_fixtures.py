"""A small store for the site tests: Ukrainian, Serbian (both scripts) and hostile calls, merged and classified."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from calls import deadlines
from calls.regions import load_regions
from calls.schema import Call, Provenance, Status
from calls.store import Store
from pipelines.changes import events_for
from pipelines.consolidate import consolidate

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # Wednesday of 2026-W48
REGIONS = load_regions()
XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'</textarea>'
XSS_URL = "javascript:alert(3)"


def call(native_id: str, title: str, *, source: str = "manual", days: int | None = 40, **fields) -> Call:
    deadline = ([deadlines.at_time(NOW + timedelta(days=days), "Europe/Brussels", f"in {days} days")]
                if days is not None else [])
    url = fields.pop("url", f"https://calls.example.org/{native_id}")
    return Call(
        uid=f"{source}:{native_id}", source=source, native_id=native_id, title=title, url=url, status=Status.OPEN,
        deadlines=deadline, provenance=[Provenance(source=source, native_id=native_id, url=url, seen_at=NOW)], **fields,
    )


def sample_calls() -> list[Call]:
    return [
        call("ua-energy", "Енергоефективність для громади Львівщини", language="uk",
             summary="Підтримка територіальних громад у термомодернізації шкіл.",
             programme_id="interreg-next-pl-ua", programme="Interreg NEXT Poland–Ukraine", funder="European Union",
             eligible_countries=["UA", "PL"], eligible_areas=["UA-46"], applicant_types=["local-government", "ngo"],
             themes=["energy-efficiency"], budget=Decimal("2000000"), grant_min=Decimal("100000"),
             grant_max=Decimal("500000"), currency="EUR", cofinancing_rate=Decimal("0.9"), kind="grant",
             call_id="PLUA/2027/01"),
        call("rs-opstine", "Подршка општинама Војводине за туризам", language="sr-Cyrl", days=12,
             summary="Програм подршке општине у АП Војводини за развој туризма и културе.",
             programme_id="interreg-ipa-husrb", programme="Interreg IPA Hungary–Serbia", funder="European Union",
             eligible_countries=["RS", "HU"], eligible_areas=["RS-VO"], applicant_types=["local-government"],
             themes=["tourism-culture"], call_id="HUSRB/2027/2"),
        call("rs-latin", "Digitalizacija lokalnih samouprava", language="sr-Latn", days=80,
             summary="Podrška opštinama za digitalne usluge građanima.", programme="Digital Europe",
             programme_id="digital-europe", funder="European Commission", eligible_countries=["RS", "UA"],
             applicant_types=["local-government", "sme"], themes=["it-digital-innovation"]),
        call("xss", XSS, url=XSS_URL, days=20, language="en", summary=XSS, programme=XSS, programme_id=XSS,
             funder=XSS, eligibility_text=XSS, call_id=XSS, grant_raw=XSS, budget_raw=XSS, kind=XSS,
             eligible_countries=["UA", "RS"], applicant_types=["local-government"], themes=["energy-efficiency"]),
        call("no-deadline", "Rolling call for municipalities", days=None, language="en", funder="Norway Grants",
             eligible_countries=["UA"], applicant_types=["local-government"]),
    ]


def make_store(folder: Path, calls: list[Call] | None = None, now: datetime = NOW) -> Store:
    """A store holding ``calls`` (default :func:`sample_calls`), first seen at ``now``, merged and classified."""
    store = Store.open(f"sqlite:///{folder / 'site.db'}")
    store.upsert_many(calls if calls is not None else sample_calls(), now, on_change=events_for)
    run = store.start_run("manual", now - timedelta(minutes=5))
    store.finish_run(run, items=5, invalid=0, errors=0, outcome="ok", finished_at=now - timedelta(minutes=4))
    consolidate(store, now=now)
    return store
