"""Editor controls: stored once, resolved against whatever the merged calls are today, used by the selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from calls.regions import load_regions
from calls.schema import Call, Deadline, Provenance, Status
from calls.store import Store
from digest.editorial import (
    ControlError,
    add_control,
    controls,
    delete_control,
    remove_control,
)
from digest.select import select_digest

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
REGIONS = load_regions()


@dataclass(frozen=True)
class Verdict:
    region: str
    score: int
    tier: str
    eligibility: str = "eligible"
    reasons: tuple = ()
    matched_themes: tuple = ()


def call(uid: str, call_id: str | None = None, *, members: tuple[str, ...] = ()) -> tuple[Call, list[str]]:
    source, native = uid.split(":", 1)
    pages = [Provenance(source=m.split(":", 1)[0], native_id=m.split(":", 1)[1], url=f"https://example.org/{m}")
             for m in (uid, *members)]
    doc = Call(uid=uid, source=source, native_id=native, title=f"Call {native}", url=f"https://example.org/{native}",
               call_id=call_id, status=Status.OPEN, first_seen=NOW - timedelta(days=30), last_seen=NOW,
               deadlines=[Deadline(at=NOW + timedelta(days=60), raw="in two months")], provenance=pages)
    return doc, [uid, *members]


VERDICTS = [("eu-ftp:HORIZON-CL5-2027-D3-01", Verdict("lviv", 90, "top")),
            ("eu-ftp:45012345", Verdict("lviv", 80, "top")),
            ("interreg-hu-rs:12", Verdict("lviv", 30, "low")),
            ("grants-gov:359001", Verdict("lviv", 60, "relevant"))]


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'editorial.db'}")
    merged = [call("eu-ftp:HORIZON-CL5-2027-D3-01", "HORIZON-CL5-2027-D3-01", members=("gurt:777",)),
              call("eu-ftp:45012345", "DIGITAL-2027-EDIH-UA-01"),
              call("interreg-hu-rs:12", None),
              call("grants-gov:359001", "DOS-UKR-27-001")]
    store.replace_digest(merged, VERDICTS, NOW)
    yield store
    store.close()


def remerge(store: Store, lead: str) -> None:
    """A re-crawl where the GURT page now leads the merged call (its uid changes, the official id does not)."""
    merged = [(c, m) for c, m in store.iter_merged() if c.uid != "eu-ftp:HORIZON-CL5-2027-D3-01"]
    new, members = call(lead, "horizon-cl5-2027-d3-01 ", members=("eu-ftp:HORIZON-CL5-2027-D3-01",))
    verdicts = [(uid, v) for uid, v in VERDICTS if uid != "eu-ftp:HORIZON-CL5-2027-D3-01"]
    store.replace_digest([*merged, (new, members)], [*verdicts, (new.uid, Verdict("lviv", 90, "top"))], NOW)


def test_exclude_by_official_id_survives_a_remerge(store):
    add_control(store, "exclude", "HORIZON-CL5-2027-D3-01", "lviv", by="olena")
    found = controls(store)
    assert found.excluded("eu-ftp:HORIZON-CL5-2027-D3-01", "lviv")
    assert found.excluded("gurt:777", "lviv")  # a member page
    assert not found.excluded("eu-ftp:HORIZON-CL5-2027-D3-01", "vojvodina")
    assert not found.excluded("eu-ftp:45012345", "lviv")
    assert "eu-ftp:HORIZON-CL5-2027-D3-01" in found.exclusions("lviv")

    remerge(store, "gurt:777")
    again = controls(store)
    new_call = next(c for c, _ in store.iter_merged() if c.uid == "gurt:777")
    assert again.excluded(new_call, "lviv") and again.excluded("gurt:777", "lviv")
    digest = select_digest(store, REGIONS["lviv"], NOW, exclude=again.exclusions("lviv"))
    shown = {e.uid for section in digest.sections.values() for e in section}
    assert "gurt:777" not in shown and "eu-ftp:45012345" in shown


def test_exclude_by_member_uid_and_for_every_region(store):
    add_control(store, "exclude", "gurt:777")
    found = controls(store)
    assert found.excluded("eu-ftp:HORIZON-CL5-2027-D3-01", "lviv") and found.excluded("gurt:777", "vojvodina")
    assert found.exclusions("vojvodina") == {"gurt:777", "eu-ftp:HORIZON-CL5-2027-D3-01"}


def test_pins_resolve_to_merged_uids_in_pin_order(store):
    add_control(store, "pin", "interreg-hu-rs:12", "lviv", at=NOW)
    add_control(store, "pin", "dos-ukr-27-001", "*", at=NOW + timedelta(seconds=1))
    add_control(store, "pin", "NO-SUCH-CALL", "lviv", at=NOW + timedelta(seconds=2))
    found = controls(store)
    assert found.pins("lviv") == ["interreg-hu-rs:12", "grants-gov:359001"]
    assert found.pins("vojvodina") == ["grants-gov:359001"]
    digest = select_digest(store, REGIONS["lviv"], NOW, pinned=found.pins("lviv"))
    assert [e.uid for e in digest.top[:2]] == ["interreg-hu-rs:12", "grants-gov:359001"]  # low tier, still first


def test_notes_by_region_and_language(store):
    add_control(store, "note", "HORIZON-CL5-2027-D3-01", "lviv", lang="uk", text="  Консультація\nу четвер  ", at=NOW)
    add_control(store, "note", "eu-ftp:HORIZON-CL5-2027-D3-01", "*", lang="en", text="Ask the EU desk", at=NOW)
    add_control(store, "note", "HORIZON-CL5-2027-D3-01", "vojvodina", lang="sr_latn", text="Rok je kratak", by="m")
    found = controls(store)
    merged = next(c for c, _ in store.iter_merged() if c.uid == "eu-ftp:HORIZON-CL5-2027-D3-01")
    assert [n.text for n in found.notes(merged, "lviv", "uk")] == ["Консультація у четвер"]
    assert [n.text for n in found.notes("gurt:777", "vojvodina", "en")] == ["Ask the EU desk"]
    note = found.notes(merged, "vojvodina", "sr-Latn")[0]
    assert (note.text, note.lang, note.by) == ("Rok je kratak", "sr-Latn", "m")
    assert found.notes(merged, "lviv", "sr-Latn") == [] and found.notes("eu-ftp:45012345", "lviv", "uk") == []


def test_repeated_exclude_is_one_row_and_removal(store):
    first = add_control(store, "exclude", "eu-ftp:45012345", "lviv")
    assert add_control(store, "exclude", "eu-ftp:45012345", "lviv") == first
    other = add_control(store, "exclude", "eu-ftp:45012345", "vojvodina")
    assert len(controls(store).items) == 2
    assert remove_control(store, "exclude", "eu-ftp:45012345", "lviv") == 1
    assert remove_control(store, "exclude", "eu-ftp:45012345", "lviv") == 0
    assert not controls(store).excluded("eu-ftp:45012345", "lviv")
    assert delete_control(store, other) and not delete_control(store, other)
    assert controls(store).items == []


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("hide", "x:1"), {}, "unknown action 'hide'"),
        (("exclude", "  "), {}, "needs a target"),
        (("note", "x:1", "lviv"), {"lang": "uk"}, "needs its text"),
        (("note", "x:1", "lviv"), {"text": "hi"}, "needs the language"),
        (("note", "x:1", "lviv"), {"text": "hi", "lang": "de"}, "no UI translation for language 'de'"),
        (("note", "x:1", "lviv"), {"text": "x" * 1001, "lang": "en"}, "at most 1000 characters"),
        (("pin", "x:1", "lviv"), {"text": "why"}, "only a note has text"),
        (("pin", "x:1", ""), {}, "needs a region"),
    ],
)
def test_bad_controls_are_refused_and_nothing_is_stored(store, args, kwargs, message):
    with pytest.raises(ControlError, match=message):
        add_control(store, *args, **kwargs)
    assert controls(store).items == []


def test_notes_appear_in_the_email_escaped_and_in_the_right_language(store):
    from digest.email import EmailRenderer

    add_control(store, "note", "HORIZON-CL5-2027-D3-01", "lviv", lang="uk",
                text="Консультація <b>у четвер</b> & більше")
    add_control(store, "note", "HORIZON-CL5-2027-D3-01", "lviv", lang="en", text="Consultation on Thursday")
    found = controls(store)
    digest = select_digest(store, REGIONS["lviv"], NOW)
    renderer = EmailRenderer()
    kwargs = {"site_url": "https://example.org/", "unsubscribe_url": "https://example.org/u", "department": ""}
    uk = renderer.render(digest, "uk", controls=found, **kwargs)
    assert "Примітка редактора: Консультація <b>у четвер</b> & більше" in uk.text
    assert "Консультація &lt;b&gt;у четвер&lt;/b&gt; &amp; більше" in uk.html and "<b>у четвер" not in uk.html
    assert "Consultation on Thursday" not in uk.text + uk.html
    en = renderer.render(digest, "en", controls=found, **kwargs)
    assert "Editor's note: Consultation on Thursday" in en.text and "Консультація" not in en.text
    plain = renderer.render(digest, "uk", **kwargs)
    assert "Примітка редактора" not in plain.text + plain.html


# -- the commands ---------------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path):
    from calls.config import load_config
    from digest.offline import write_config

    config = write_config(tmp_path)
    store = Store.open(load_config(config).database_url)
    store.replace_digest([call("eu-ftp:HORIZON-CL5-2027-D3-01", "HORIZON-CL5-2027-D3-01", members=("gurt:777",)),
                          call("eu-ftp:45012345", "DIGITAL-2027-EDIH-UA-01")], VERDICTS[:2], NOW)
    yield config, store
    store.close()


def gd(config, *args):
    from click.testing import CliRunner

    from digest.cli import cli

    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_editor_commands_add_list_and_remove(cli_store):
    config, store = cli_store
    done = gd(config, "exclude", "horizon-cl5-2027-d3-01", "--region", "lviv", "--by", "olena")
    assert done.exit_code == 0 and (
        "exclude horizon-cl5-2027-d3-01 for lviv (now the call eu-ftp:HORIZON-CL5-2027-D3-01)" in done.output)
    assert gd(config, "pin", "eu-ftp:45012345").exit_code == 0
    noted = gd(config, "note", "gurt:777", "Консультація у четвер", "--lang", "uk", "--region", "lviv", "--by", "olena")
    assert noted.exit_code == 0, noted.output
    found = controls(store)
    assert found.excluded("eu-ftp:HORIZON-CL5-2027-D3-01", "lviv") and found.pins("vojvodina") == ["eu-ftp:45012345"]
    assert [n.text for n in found.notes("eu-ftp:HORIZON-CL5-2027-D3-01", "lviv", "uk")] == ["Консультація у четвер"]

    listing = gd(config, "controls").output.splitlines()
    assert listing[0].split()[:4] == ["id", "action", "call", "region"]
    note_row = next(line for line in listing if " note " in line)
    assert "gurt:777" in note_row and "uk" in note_row and "olena" in note_row and "Консультація у четвер" in note_row

    assert "1 exclude control(s) on horizon-cl5-2027-d3-01 for lviv removed" in gd(
        config, "exclude", "horizon-cl5-2027-d3-01", "--region", "lviv", "--remove").output
    pin_id = next(c.id for c in controls(store).items if c.action == "pin")
    assert "1 control(s) removed" in gd(config, "controls", "--remove", str(pin_id)).output
    assert [c.action for c in controls(store).items] == ["note"]


def test_editor_command_errors_are_clear_and_store_nothing(cli_store):
    config, store = cli_store
    wrong_region = gd(config, "pin", "eu-ftp:45012345", "--region", "atlantis")
    assert wrong_region.exit_code == 2 and "unknown region 'atlantis'" in wrong_region.output
    no_lang = gd(config, "note", "eu-ftp:45012345", "Some text")
    assert no_lang.exit_code == 1 and "a note needs the language" in no_lang.output
    unread = gd(config, "note", "eu-ftp:45012345", "Напомена", "--lang", "sr-Cyrl", "--region", "lviv")
    assert unread.exit_code == 2 and "lviv's digest is written in uk, en" in unread.output
    assert gd(config, "note", "eu-ftp:45012345", "x", "--lang", "klingon").exit_code == 2
    assert gd(config, "controls", "--remove", "999").exit_code == 1
    assert gd(config, "exclude", "nothing:1", "--remove").exit_code == 1
    unknown = gd(config, "exclude", "NOT-YET-PUBLISHED-01")
    assert unknown.exit_code == 0 and "no stored call matches 'NOT-YET-PUBLISHED-01' yet" in unknown.output
    assert [c.target for c in controls(store).items] == ["NOT-YET-PUBLISHED-01"]


def test_email_previews_apply_the_controls(cli_store, tmp_path):
    config, store = cli_store
    add_control(store, "exclude", "DIGITAL-2027-EDIH-UA-01", "lviv")
    add_control(store, "note", "HORIZON-CL5-2027-D3-01", "lviv", lang="en", text="Ask the EU desk first")
    from digest.cli import Context
    from digest.job import write_email_previews

    ctx = Context(str(config), None)
    write_email_previews(ctx, tmp_path / "previews", now=NOW)
    html = (tmp_path / "previews" / "2026-W48-lviv-en.html").read_text(encoding="utf-8")
    assert "Call HORIZON-CL5-2027-D3-01" in html and "Ask the EU desk first" in html
    assert "Call 45012345" not in html
    ctx.store.close()


def test_feeds_leave_out_excluded_calls(store, tmp_path):
    from digest import publish

    regions = {"lviv": REGIONS["lviv"]}
    add_control(store, "exclude", "DIGITAL-2027-EDIH-UA-01", "lviv")  # only from Lviv's feeds
    add_control(store, "exclude", "DOS-UKR-27-001")  # from every feed
    report = publish.build(store, tmp_path / "out", base_url="https://example.org/", regions=regions, now=NOW,
                           site=False)
    everything = (tmp_path / "out" / "feeds" / "all" / "calls.json").read_text(encoding="utf-8")
    lviv = (tmp_path / "out" / "feeds" / "lviv" / "calls.json").read_text(encoding="utf-8")
    assert "Call 45012345" in everything and "Call 45012345" not in lviv
    assert "Call 359001" not in everything and "Call 359001" not in lviv
    assert "Call HORIZON-CL5-2027-D3-01" in lviv
    assert report.scopes == {"all": 3, "lviv": 1}
