"""Exports (iCalendar, CSV, JSON): validated against their specs, not just parsed; CSV formula injection neutralised.
The sample calls: tests/feed_samples.py; the feeds: tests/test_feeds.py."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from feed_samples import META, NOW, VISIBLE, sample_items
from icalendar import Calendar
from jsonschema import Draft202012Validator, FormatChecker

from calls.schema import Call
from digest import feeds

# --- iCalendar -----------------------------------------------------------------------------------


def test_icalendar_round_trips_with_one_event_per_parsed_deadline():
    data = feeds.icalendar(sample_items(), META)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # RFC 5545 §3.1 folding, in octets
    cal = Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and "grantdigest" in str(cal["PRODID"])
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    # lviv 1, novi sad 1, culture 0 (unparsed), horizon 2, facility 0, hostile 1, withdrawn never
    assert set(events) == {
        "loda:2026-17-1@grantdigest", "vojvodina:ekologija-2026-1@grantdigest",
        "eu-ftp:HORIZON-CL5-2027-D3-01-1@grantdigest", "eu-ftp:HORIZON-CL5-2027-D3-01-2@grantdigest",
        "aggregator:evil-1-1@grantdigest",
    }
    stage2 = events["eu-ftp:HORIZON-CL5-2027-D3-01-2@grantdigest"]
    assert stage2.decoded("DTSTART") == datetime(2027, 9, 15, 15, 0, tzinfo=UTC)
    assert stage2.decoded("DTSTART").utcoffset().total_seconds() == 0
    assert "DTEND" not in stage2  # RFC 5545: DTEND must be later than DTSTART; absent = the instant
    assert str(stage2["SUMMARY"]) == "Deadline: Renewable energy communities, two-stage (stage 2)"
    assert "15 September 2027 17:00:00 Brussels time" in str(stage2["DESCRIPTION"])
    lviv = events["loda:2026-17-1@grantdigest"]
    assert lviv.decoded("DTSTART") == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)
    assert str(lviv["SUMMARY"]) == "Deadline: Конкурс мікрогрантів для територіальних громад Львівщини"
    assert str(lviv["URL"]) == "https://loda.gov.ua/news/konkurs-mikrograntiv"
    assert "https://loda.gov.ua/news/konkurs-mikrograntiv" in str(lviv["DESCRIPTION"])
    assert "URL" not in events["aggregator:evil-1-1@grantdigest"]
    novi_sad = events["vojvodina:ekologija-2026-1@grantdigest"]
    assert novi_sad.decoded("DTSTART") == date(2026, 12, 1)  # a date-only deadline: an all-day event on its day
    assert "DTSTART;VALUE=DATE:20261201" in data.decode()
    assert "Deadline: 1 December 2026" in str(novi_sad["DESCRIPTION"])
    order = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert order == ["vojvodina:ekologija-2026-1@grantdigest", "loda:2026-17-1@grantdigest",
                     "aggregator:evil-1-1@grantdigest", "eu-ftp:HORIZON-CL5-2027-D3-01-1@grantdigest",
                     "eu-ftp:HORIZON-CL5-2027-D3-01-2@grantdigest"]


def test_icalendar_uids_are_stable_across_builds():
    first = feeds.icalendar(sample_items(), META)
    again = feeds.icalendar(list(reversed(sample_items())), META)
    assert first == again


# --- CSV -----------------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == feeds.CSV_COLUMNS
    return list(reader)


def test_csv_round_trips_with_bom_crlf_and_stable_columns():
    data = feeds.csv_export(sample_items())
    assert data.split(b"\r\n", 1)[0] == b"\xef\xbb\xbf" + ",".join(feeds.CSV_COLUMNS).encode()
    assert data.endswith(b"\r\n")
    rows = _csv_rows(data)
    assert len(rows) == VISIBLE
    by_uid = {row["uid"]: row for row in rows}
    lviv = by_uid["loda:2026-17"]
    assert lviv["title"] == "Конкурс мікрогрантів для територіальних громад Львівщини"
    assert (lviv["next_deadline"], lviv["deadline_zone"]) == ("2026-12-15 18:00", "Europe/Kyiv")  # as published
    assert lviv["grant_max"] == "500000" and lviv["currency"] == "UAH"
    assert lviv["reasons"] == "Covers Lviv oblast; Deadline in 22 days"
    horizon = by_uid["eu-ftp:HORIZON-CL5-2027-D3-01"]
    assert horizon["summary"] == "Two-stage call.\nStage 1: short proposal; stage 2: full proposal."
    assert horizon["deadlines"].count(" | ") == 1 and horizon["final_deadline"] == "2027-09-15 17:00"
    novi_sad = by_uid["vojvodina:ekologija-2026"]
    assert (novi_sad["next_deadline"], novi_sad["deadline_zone"]) == ("2026-12-01", "")  # a date: the whole day
    assert by_uid["vojvodina:kultura-2026"]["deadlines"] == "? (do utroška sredstava)"
    assert by_uid["eu4business:ta-facility"]["next_deadline"] == ""


def test_csv_neutralises_formula_injection():
    rows = _csv_rows(feeds.csv_export(sample_items()))
    hostile = next(row for row in rows if row["uid"] == "aggregator:evil-1")
    assert hostile["summary"].startswith("'=HYPERLINK(")
    assert hostile["funder"] == "'@SUM(1+1)"
    assert hostile["programme"] == "'-2+3"
    assert hostile["deadlines"].startswith("'+stage")
    assert hostile["url"] == ""
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values())


def test_csv_semicolon_variant_for_comma_decimal_locales():
    data = feeds.csv_export(sample_items()[:1], delimiter=";")
    reader = csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";")
    assert next(reader)["uid"] == "loda:2026-17"


# --- JSON export ----------------------------------------------------------------------------------


def test_json_export_validates_against_its_json_schema():
    schema = json.loads(feeds.json_schema())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["description"]
    assert schema["$defs"]["Call"]["properties"]["title"]["description"]
    doc = json.loads(feeds.json_export(sample_items(), generated=NOW))
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(doc)
    assert doc["generated"] == "2026-11-23T09:00:00Z"
    assert len(doc["calls"]) == VISIBLE
    originals = {item.call.uid: item.call for item in sample_items()}
    for entry in doc["calls"]:
        call = Call.model_validate(entry)
        if call.uid != "aggregator:evil-1":
            assert call == originals[call.uid]


def test_json_schema_rejects_a_malformed_export():
    validator = Draft202012Validator(json.loads(feeds.json_schema()))
    assert not validator.is_valid({"generated": "x", "calls": [{"uid": "a"}]})
    assert not validator.is_valid({"calls": []})
