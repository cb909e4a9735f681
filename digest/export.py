"""Export of stored calls as JSON, JSON Lines or CSV (schema fields, ISO 8601 datetimes with offset).

CSV cells are guarded against formula injection (:mod:`digest.csvfile`)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

from calls import deadlines
from calls.schema import Call
from calls.store import StoredClassification
from digest.csvfile import write_rows

FORMATS = ("json", "jsonl", "csv")

CSV_COLUMNS = [
    "uid", "source", "native_id", "call_id", "title", "language", "url", "programme_id", "programme",
    "funder", "kind", "action_type", "status", "opens_at", "next_deadline", "deadlines", "budget", "grant_min",
    "grant_max", "currency", "cofinancing_rate", "eligible_countries", "applicant_types", "themes",
    "first_seen", "last_seen", "sources", "regions", "summary",
]
"""Stable CSV columns; lists are joined with '; ', deadlines as published ('2028-04-30', or the publisher's clock
'2028-04-30T17:00:00+02:00 Europe/Brussels') with their raw text, regions as 'region: tier score'."""

Classifications = Mapping[str, Sequence[StoredClassification]]


def document(call: Call, classifications: Classifications | None = None) -> dict:
    """A call's export document: its schema fields, plus its classification per region when given."""
    doc = call.model_dump(mode="json")
    if classifications is not None:
        doc["classifications"] = [
            {"region": c.region, "score": c.score, "tier": c.tier, "eligibility": c.eligibility,
             "reasons": list(c.reasons), "themes": list(c.themes)}
            for c in classifications.get(call.uid, ())
        ]
    return doc


def write(calls: Iterable[Call], fmt: str, out: IO[str], classifications: Classifications | None = None) -> int:
    """Write ``calls`` in ``fmt`` to ``out``; returns how many were written."""
    if fmt == "json":
        docs = [document(call, classifications) for call in calls]
        json.dump(docs, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return len(docs)
    if fmt == "jsonl":
        n = 0
        for call in calls:
            out.write(json.dumps(document(call, classifications), ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt == "csv":
        return write_rows(
            out, CSV_COLUMNS, (csv_row(call, (classifications or {}).get(call.uid, ())) for call in calls)
        )
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def csv_row(call: Call, classifications: Sequence[StoredClassification] = ()) -> dict[str, str]:
    doc = call.model_dump(mode="json")
    row = {k: doc.get(k) for k in CSV_COLUMNS}
    upcoming = deadlines.earliest(call.deadlines)
    row["next_deadline"] = deadlines.iso(upcoming) if upcoming else ""
    row["deadlines"] = "; ".join(f"{deadlines.iso(d) or ''}{' ' + d.zone if d.zone and d.clock else ''} ({d.raw})"
                                 for d in call.deadlines)
    for key in ("eligible_countries", "applicant_types", "themes"):
        row[key] = "; ".join(doc[key])
    row["sources"] = "; ".join(p["url"] for p in doc["provenance"])
    row["regions"] = "; ".join(f"{c.region}: {c.tier} {c.score}" for c in classifications)
    return {k: "" if v is None else str(v) for k, v in row.items()}


def dumps(calls: Iterable[Call], fmt: str, classifications: Classifications | None = None) -> str:
    buffer = io.StringIO()
    write(calls, fmt, buffer, classifications)
    return buffer.getvalue()
