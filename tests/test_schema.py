"""The call schema: typed, documented, JSON round trip, aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from calls import deadlines
from calls.schema import Call, Deadline, Provenance, Status, make_uid

KYIV = ZoneInfo("Europe/Kyiv")


def full_call() -> Call:
    return Call(
        uid=make_uid("eu-ftp", "HORIZON-CL5-2027-D3-01"), source="eu-ftp", native_id="HORIZON-CL5-2027-D3-01",
        title="Renewable energy communities", url="https://example.org/call", call_id="HORIZON-CL5-2027-D3-01",
        language="en", summary="Text", status=Status.OPEN,
        opens_at=datetime(2026, 9, 15, tzinfo=ZoneInfo("Europe/Brussels")), opens_at_raw="2026-09-15",
        deadlines=[Deadline(at=datetime(2027, 1, 20, 16, 0, tzinfo=KYIV), raw="20.01.2027, 16:00", label="stage 1")],
        budget=Decimal("81110000.00"), grant_min=Decimal("200000"), grant_max=Decimal("2500000"), currency="EUR",
        cofinancing_rate=Decimal("0.9"), eligible_countries=["UA", "PL"], applicant_types=["local-government"],
        provenance=[Provenance(source="eu-ftp", native_id="x", url="https://example.org/call")],
    )


def test_json_round_trip_is_lossless():
    call = full_call()
    again = Call.from_json(call.to_json())
    assert again == call
    assert again.deadlines[0].at == datetime(2027, 1, 20, 16, 0, tzinfo=KYIV)
    assert again.deadlines[0].at.utcoffset() == KYIV.utcoffset(datetime(2027, 1, 20))
    assert again.budget == Decimal("81110000.00")


def test_json_has_iso_datetimes_with_offset():
    doc = full_call().model_dump(mode="json")
    assert doc["deadlines"][0]["at"] == "2027-01-20T16:00:00+02:00"
    assert doc["opens_at"] == "2026-09-15T00:00:00+02:00"


def test_every_field_documents_its_format():
    for model in (Call, Deadline, Provenance):
        undocumented = [name for name, field in model.model_fields.items() if not field.description]
        assert undocumented == [], f"{model.__name__} fields without a docstring: {undocumented}"


@pytest.mark.parametrize("field", ["opens_at", "published_at", "updated_at", "first_seen", "last_seen"])
def test_naive_datetimes_are_refused(field):
    with pytest.raises(ValidationError, match="timezone-aware"):
        Call(uid="s:1", source="s", native_id="1", title="t", url="https://x.org", **{field: datetime(2026, 1, 1)})


def test_naive_deadline_is_refused():
    with pytest.raises(ValidationError, match="timezone-aware"):
        Deadline(at=datetime(2026, 1, 1), raw="1.1.2026")


@pytest.mark.parametrize(("field", "value"), [("currency", "eur"), ("currency", "EURO"),
                                              ("cofinancing_rate", Decimal("1.5"))])
def test_bad_values_are_refused(field, value):
    with pytest.raises(ValidationError):
        Call(uid="s:1", source="s", native_id="1", title="t", url="https://x.org", **{field: value})


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        Call(uid="s:1", source="s", native_id="1", title="t", url="https://x.org", deadline="tomorrow")


def test_hash_ignores_bookkeeping_but_not_content():
    call = full_call()
    seen = call.model_copy(update={"last_seen": datetime.now(UTC), "content_hash": "x"})
    assert seen.compute_hash() == call.compute_hash()
    moved = call.model_copy(update={"deadlines": [Deadline(at=datetime(2027, 2, 1, tzinfo=KYIV), raw="1.2.2027")]})
    assert moved.compute_hash() != call.compute_hash()


def test_next_and_final_deadline():
    d1 = Deadline(at=datetime(2027, 2, 3, 17, tzinfo=KYIV), raw="a")
    d2 = Deadline(at=datetime(2027, 9, 16, 17, tzinfo=KYIV), raw="b")
    unparsed = Deadline(raw="end of spring")
    call = full_call().model_copy(update={"deadlines": [d2, unparsed, d1]})
    assert deadlines.earliest(call.deadlines) == d1 and deadlines.latest(call.deadlines) == d2


def test_uid_helper():
    assert make_uid("gurt", "12345") == "gurt:12345"
    with pytest.raises(ValueError):
        make_uid("gurt", "")
