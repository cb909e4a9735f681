"""Sending the digest to a real SMTP server on 127.0.0.1 (aiosmtpd, started here) with the exactly-once ledger.

The store is a real crawl of the F&TP fixtures first seen in 2026-W49 (as in test_select),
copied for every test so that each starts with an empty send ledger (the server, the store and the config:
tests/send_harness.py). The SMTP connection itself and the ledger: tests/test_send_smtp.py.
"""


from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
from email.utils import getaddresses

import pytest
from click.testing import CliRunner
from send_harness import (
    CYRILLIC,
    EXPECTED,
    REGIONS,
    SECRET,
    SECRET_ENV,
    SENDER,
    SUBSCRIBERS,
    UNSUBSCRIBE,
    WEEK,
    crawled_fixture,  # noqa: F401 -- the fixtures "crawled", "mailroom" and "smtp", requested by name
    free_port,
    mailroom_fixture,  # noqa: F401
    rows,
    smtp_fixture,  # noqa: F401
)
from test_select import ENERGY, IN_WEEK_49

from calls.config import ConfigError
from digest.approval import approve
from digest.cli import cli
from digest.i18n import translations
from digest.select import select_digest
from digest.send import (
    SENDING,
    Ledger,
    NotApproved,
    SendError,
    for_themes,
    message_id_for,
    send_digests,
)
from digest.subscribers import suppress, unsubscribe_token

# -- what arrives ----------------------------------------------------------------------------

@pytest.mark.crawl
def test_every_subscriber_gets_their_edition_once_over_one_connection(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port)
    store = room.store()
    approve(store, WEEK, "*", by="Olena")
    report = send_digests(room.config, store, now=IN_WEEK_49)
    assert (report.sent, report.skipped, report.failed, report.deferred, report.suppressed) == (6, 0, 0, 0, 0)
    assert report.ok and report.in_flight == [] and report.aborted is None
    assert sorted(a.rcpt_tos[0] for a in inbox.arrived) == sorted(EXPECTED)
    assert all(len(a.rcpt_tos) == 1 and a.mail_from == "digest@grants.example.gov" for a in inbox.arrived)
    assert len({a.peer for a in inbox.arrived}) == 1  # one connection reused for all six

    ledger = rows(store)
    for address, (region, lang) in EXPECTED.items():
        (arrived,) = inbox.to(address)
        message = arrived.message
        key = f"{WEEK}/{region}/{lang}"
        row = ledger[address]
        assert (row.digest, row.state, row.attempts, row.error) == (key, "sent", 1, None) and row.sent_at
        assert message["Message-ID"] == row.message_id == message_id_for(key, address, SENDER)
        assert message["Message-ID"].endswith("@grants.example.gov>")
        link = f"{UNSUBSCRIBE}?token={unsubscribe_token(SECRET, address)}"
        assert message["List-Unsubscribe"] == f"<{link}>, <mailto:unsubscribe@grants.example.gov>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Content-Language"] == lang and message["From"] == SENDER
        assert [addr for _, addr in getaddresses([message["To"]])] == [address]
        assert message.get_content_type() == "multipart/alternative"
        text_part, html_part = message.iter_parts()
        assert (text_part.get_content_type(), html_part.get_content_type()) == ("text/plain", "text/html")
        assert text_part.get_content_charset() == html_part.get_content_charset() == "utf-8"
        text, html = text_part.get_content(), html_part.get_content()
        name = REGIONS[region].names[lang]
        heading = translations(lang).gettext("Grant digest: %(region)s") % {"region": name}
        assert message["Subject"] == f"{heading} · {translations(lang).gettext('Week %(week)s') % {'week': WEEK}}"
        assert link in text and link.replace("&", "&amp;") in html
        assert "Vynnychenka 18" in text and "Vynnychenka 18" in html
        assert f'lang="{lang}"' in html and name in text
        for other in EXPECTED:
            if other != address:
                assert unsubscribe_token(SECRET, other) not in arrived.data.decode("ascii", "replace")

    olena = inbox.to("olena@lviv.example.ua")[0].message
    assert olena["To"].addresses[0].display_name == "Олена Коваль"
    assert CYRILLIC.search(olena["Subject"])
    uk_text = olena.get_body(("plain",)).get_content()
    new_this_week = translations("uk").gettext("New this week")
    assert new_this_week != "New this week" and new_this_week in uk_text and "New this week" not in uk_text
    milica = inbox.to("milica@novisad.example.rs")[0].message
    assert CYRILLIC.search(milica["Subject"])
    assert translations("sr-Cyrl").gettext("Unsubscribe") in milica.get_body(("html",)).get_content()
    marko = inbox.to("marko@novisad.example.rs")[0].message
    assert not CYRILLIC.search(marko["Subject"] + marko.get_body(("plain",)).get_content().split("\n\n")[0])
    assert "New this week" in inbox.to("john@lviv.example.ua")[0].message.get_body(("plain",)).get_content()

    again = send_digests(room.config, store, now=IN_WEEK_49)
    assert (again.sent, again.skipped) == (0, 6) and len(inbox.arrived) == 6
    store.close()


@pytest.mark.crawl
def test_a_subscribers_themes_filter_their_calls(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port, require_approval=False)
    store = room.store()
    digest = select_digest(store, REGIONS["lviv"], IN_WEEK_49)
    entries = [e for section in digest.sections.values() for e in section]
    energy = [e.call.title for e in entries if "energy-efficiency" in e.classification.themes]
    other = [e.call.title for e in entries if "energy-efficiency" not in e.classification.themes]
    assert energy and other and ENERGY in {e.uid for e in entries}  # the fixture has both kinds
    assert for_themes(digest, ()) is digest
    send_digests(room.config, store, now=IN_WEEK_49)
    ivan = inbox.to("ivan@lviv.example.ua")[0].message.get_body(("plain",)).get_content()
    olena = inbox.to("olena@lviv.example.ua")[0].message.get_body(("plain",)).get_content()
    assert all(title in ivan and title in olena for title in energy)
    assert not any(title in ivan for title in other) and all(title in olena for title in other)
    store.close()


# -- failures ----------------------------------------------------------------------------------

@pytest.mark.crawl
def test_temporary_failures_are_retried_and_permanent_ones_recorded(smtp, mailroom):
    inbox, port = smtp()
    inbox.answers = {"john@lviv.example.ua": ["451 4.2.1 mailbox busy", "250 OK"],
                     "marko@novisad.example.rs": ["550 5.1.1 no such user"]}
    room = mailroom(port, require_approval=False)
    store = room.store()
    waits: list[float] = []
    report = send_digests(room.config, store, now=IN_WEEK_49, sleep=waits.append)
    assert (report.sent, report.failed, report.deferred) == (5, 1, 0) and not report.ok
    assert waits == [1.5]
    assert report.failures == [(f"{WEEK}/vojvodina/sr-Latn", "marko@novisad.example.rs", "550 5.1.1 no such user")]
    assert len(inbox.to("john@lviv.example.ua")) == 1 and inbox.to("marko@novisad.example.rs") == []
    ledger = rows(store)
    assert (ledger["john@lviv.example.ua"].state, ledger["john@lviv.example.ua"].attempts) == ("sent", 2)
    marko = ledger["marko@novisad.example.rs"]
    assert (marko.state, marko.attempts, marko.error, marko.sent_at) == ("failed", 1, "550 5.1.1 no such user", None)
    assert [a.rcpt_tos[0] for a in inbox.arrived][-1] == "ana@novisad.example.rs"  # the run went on after the 550
    again = send_digests(room.config, store, now=IN_WEEK_49, sleep=waits.append)
    assert (again.sent, again.skipped, again.failed) == (0, 6, 0) and len(inbox.arrived) == 5
    store.close()


@pytest.mark.crawl
def test_a_temporary_failure_that_lasts_is_left_pending_for_the_next_run(smtp, mailroom):
    inbox, port = smtp()
    inbox.answers = {"ana@novisad.example.rs": ["452 4.3.1 insufficient storage"]}
    room = mailroom(port, require_approval=False)
    store = room.store()
    waits: list[float] = []
    report = send_digests(room.config, store, now=IN_WEEK_49, sleep=waits.append)
    assert (report.sent, report.deferred, report.failed) == (5, 1, 0) and waits == [1.5, 3.0]
    ana = rows(store)["ana@novisad.example.rs"]
    assert (ana.state, ana.attempts, ana.error) == ("pending", 3, "452 4.3.1 insufficient storage")
    inbox.answers = {}
    later = send_digests(room.config, store, now=IN_WEEK_49, sleep=waits.append)
    assert (later.sent, later.skipped) == (1, 5)
    ana = rows(store)["ana@novisad.example.rs"]
    assert (ana.state, ana.attempts) == ("sent", 4)
    (arrived,) = inbox.to("ana@novisad.example.rs")
    assert arrived.message["Message-ID"] == ana.message_id
    store.close()


@pytest.mark.crawl
def test_an_in_flight_message_waits_for_the_editor_then_goes_with_its_message_id(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port, require_approval=False)
    store = room.store()
    key, address = f"{WEEK}/lviv/en", "john@lviv.example.ua"
    Ledger(store).claim(key, address, "<left-by-a-crash@grants.example.gov>", dt.datetime.now(dt.UTC))
    report = send_digests(room.config, store, now=IN_WEEK_49)
    assert report.sent == 5 and report.in_flight == [f"{key} → {address}"] and not report.ok
    assert inbox.to(address) == [] and rows(store)[address].state == "sending"
    again = send_digests(room.config, store, now=IN_WEEK_49)  # still the editor's to settle: reported, not sent
    assert (again.sent, again.skipped, again.in_flight) == (0, 5, [f"{key} → {address}"])
    result = CliRunner().invoke(cli, ["--config", str(room.config_path), "email", "--resolve-in-flight", "resend",
                                      "--week", "2026-W01"])
    assert result.exit_code == 0 and "0 in-flight message(s) settled" in result.output  # another week: untouched
    result = CliRunner().invoke(cli, ["--config", str(room.config_path), "email", "--resolve-in-flight", "resend",
                                      "--week", WEEK, "--region", "lviv"])
    assert result.exit_code == 0, result.output
    assert f"{key} → {address} (<left-by-a-crash@grants.example.gov>): will be sent again" in result.output
    assert rows(store)[address].state == "pending"
    last = send_digests(room.config, store, now=IN_WEEK_49)
    assert (last.sent, last.skipped, last.in_flight) == (1, 5, []) and last.ok
    (arrived,) = inbox.to(address)
    assert arrived.message["Message-ID"] == "<left-by-a-crash@grants.example.gov>"
    assert rows(store)[address].attempts == 2
    store.close()


@pytest.mark.crawl
def test_an_in_flight_message_the_editor_marks_sent_is_never_sent(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port, require_approval=False)
    store = room.store()
    key, address = f"{WEEK}/vojvodina/en", "ana@novisad.example.rs"
    Ledger(store).claim(key, address, "<arrived-before-the-crash@grants.example.gov>", dt.datetime.now(dt.UTC))
    result = CliRunner().invoke(cli, ["--config", str(room.config_path), "email", "--resolve-in-flight", "sent",
                                      "--send", "--week", WEEK])
    assert result.exit_code == 0, result.output
    assert f"{key} → {address} (<arrived-before-the-crash@grants.example.gov>): marked sent" in result.output
    assert "5 sent, 1 already sent before" in result.output
    assert inbox.to(address) == [] and rows(store)[address].state == "sent"
    assert len(inbox.arrived) == 5
    store.close()


@pytest.mark.crawl
def test_unreachable_server_stops_the_run_and_loses_nobody(smtp, mailroom):
    room = mailroom(free_port(), require_approval=False, retries=1)
    store = room.store()
    waits: list[float] = []
    report = send_digests(room.config, store, now=IN_WEEK_49, sleep=waits.append)
    assert report.sent == 0 and report.aborted.startswith("cannot connect to 127.0.0.1") and waits == [1.5]
    (row,) = rows(store).values()
    assert (row.state, row.attempts) == ("pending", 2) and row.error.startswith("cannot connect")
    inbox, port = smtp()
    text = room.config_path.read_text(encoding="utf-8")
    room.config_path.write_text(re.sub(r"smtp_port = \d+", f"smtp_port = {port}", text), encoding="utf-8")
    report = send_digests(room.config, store, now=IN_WEEK_49)
    assert report.sent == 6 and sorted(a.rcpt_tos[0] for a in inbox.arrived) == sorted(EXPECTED)
    store.close()


# -- approval, suppression, the CLI ------------------------------------------------------------

@pytest.mark.crawl
def test_sending_needs_approval(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port)
    store = room.store()
    approve(store, WEEK, "lviv", by="Olena")
    with pytest.raises(NotApproved) as refused:
        send_digests(room.config, store, now=IN_WEEK_49)
    assert refused.value.missing == [(WEEK, "vojvodina")]
    assert "grantdigest approve --week 2026-W49 --region vojvodina" in str(refused.value)
    assert inbox.arrived == [] and rows(store) == {}
    only_lviv = send_digests(room.config, store, now=IN_WEEK_49, regions=["lviv"])
    assert only_lviv.sent == 3 and {a.rcpt_tos[0].split("@")[1] for a in inbox.arrived} == {"lviv.example.ua"}
    store.close()

    result = CliRunner().invoke(cli, ["--config", str(room.config_path), "email", "--send", "--week", WEEK])
    assert result.exit_code == 1
    assert "not approved: vojvodina (2026-W49)" in result.output
    assert "grantdigest approve --week 2026-W49 --region vojvodina" in result.output
    result = CliRunner().invoke(cli, ["--config", str(room.config_path), "approve", "--week", WEEK, "--by", "Milica"])
    assert result.exit_code == 0
    result = CliRunner().invoke(cli, ["--config", str(room.config_path), "email", "--send", "--week", WEEK])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("3 sent, 3 already sent before, 0 failed")
    assert len(inbox.arrived) == 6


@pytest.mark.crawl
def test_unsubscribed_addresses_are_never_sent_to(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port, require_approval=False)
    token = unsubscribe_token(SECRET, "milica@novisad.example.rs")
    result = CliRunner().invoke(cli, ["--config", str(room.config_path), "unsubscribe", "--token", token])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("milica@novisad.example.rs unsubscribed")
    suppress(room.config.data_dir / "unsubscribed.txt", "John@Lviv.Example.UA", reason="phone call")
    wrong = CliRunner().invoke(cli, ["--config", str(room.config_path), "unsubscribe", "--token", "forged"])
    assert wrong.exit_code == 1 and "no subscriber has this token" in wrong.output
    store = room.store()
    report = send_digests(room.config, store, now=IN_WEEK_49)
    assert (report.sent, report.suppressed) == (4, 2)
    assert inbox.to("milica@novisad.example.rs") == [] and inbox.to("john@lviv.example.ua") == []
    assert set(rows(store)) == set(EXPECTED) - {"milica@novisad.example.rs", "john@lviv.example.ua"}
    store.close()


@pytest.mark.crawl
def test_settings_are_checked_before_anything_is_sent(smtp, mailroom, monkeypatch):
    inbox, port = smtp()
    for keys, error in [
        ({"department": ""}, "department is empty"),
        ({"unsubscribe_url": "http://grants.example.gov/u"}, "must be an https URL"),
        ({"security": "ssl"}, "security must be one of"),
        ({"rate_per_minute": -1}, "rate_per_minute must be a number"),
    ]:
        room = mailroom(port, require_approval=False, **keys)
        store = room.store()
        with pytest.raises((SendError, ConfigError), match=error):
            send_digests(room.config, store, now=IN_WEEK_49)
        store.close()
    room = mailroom(port, require_approval=False)
    store = room.store()
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(SendError, match="at least 16 characters"):
        send_digests(room.config, store, now=IN_WEEK_49)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    bad = mailroom(port, subscribers=SUBSCRIBERS + "x@y,lviv,uk,,\n", require_approval=False)
    result = CliRunner().invoke(cli, ["--config", str(bad.config_path), "email", "--send"])
    assert result.exit_code == 1 and "subscribers.csv:9: bad domain in 'x@y'" in result.output
    usage = CliRunner().invoke(cli, ["--config", str(bad.config_path), "email"])
    assert usage.exit_code == 2 and "either --preview DIR or --send" in usage.output
    assert inbox.arrived == [] and rows(store) == {}
    store.close()


# -- the kill test ---------------------------------------------------------------------------------

@pytest.mark.crawl
def test_a_killed_run_its_restart_and_the_editors_word_deliver_each_message_exactly_once(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port)
    store = room.store()
    approve(store, WEEK, "*", by="Olena")
    inbox.hold_after = 3
    command = [sys.executable, "-m", "digest.cli", "--config", str(room.config_path), "email", "--send", "--week", WEEK]
    env = {**os.environ, SECRET_ENV: SECRET}
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert inbox.held.wait(120), "the sending process never reached its fourth message"
        assert len(inbox.arrived) == 3
        states = sorted(r.state for r in Ledger(store).rows())
        assert states == ["sending", "sent", "sent", "sent"]  # recorded before and after each transaction
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGKILL
    inbox.release.set()
    (interrupted,) = [r for r in Ledger(store).rows() if r.state == SENDING]
    first = sorted(a.rcpt_tos[0] for a in inbox.arrived)

    inbox.hold_after = None
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert rerun.returncode == 1, rerun.stderr  # the in-flight message needs the editor's word
    assert rerun.stdout.startswith("2 sent, 3 already sent before, 0 failed, 0 deferred")
    assert (f"in flight when an earlier run was interrupted, not sent again: {interrupted.digest} → "
            f"{interrupted.recipient}") in rerun.stderr
    assert inbox.to(interrupted.recipient) == []
    # the server refused the held message (its log says so): the editor has it sent again
    resolve = [*command[:command.index("--send")], "--resolve-in-flight", "resend", "--send", "--week", WEEK]
    rerun = subprocess.run(resolve, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 in-flight message(s) settled" in rerun.stdout and "1 sent, 5 already sent before" in rerun.stdout
    delivered = [a.rcpt_tos[0] for a in inbox.arrived]
    assert sorted(delivered) == sorted(EXPECTED) and len(delivered) == len(set(delivered)) == 6
    assert delivered[:3] == [a for a in delivered if a in first]
    (resent,) = inbox.to(interrupted.recipient)
    assert resent.message["Message-ID"] == interrupted.message_id
    final = rows(store)
    assert {r.state for r in final.values()} == {"sent"} and final[interrupted.recipient].attempts == 2

    third = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert third.returncode == 0 and third.stdout.startswith("0 sent, 6 already sent before")
    assert len(inbox.arrived) == 6
    store.close()


@pytest.mark.crawl
def test_run_sends_when_configured_and_approved(smtp, mailroom, capsys):
    from digest.cli import Context, Stages
    from digest.job import send_from_run
    from digest.select import iso_week

    inbox, port = smtp()
    room = mailroom(port, send=True)
    ctx = Context(str(room.config_path), None)
    # not approved: said, not an error of the run
    assert send_from_run(ctx, Stages(1, tty=False)) == 0 and inbox.arrived == []
    assert "emails not sent: not approved" in capsys.readouterr().err
    now = dt.datetime.now(dt.UTC)
    for zone in ("Europe/Kyiv", "Europe/Belgrade"):
        approve(ctx.store, iso_week(now, zone), "*", by="Olena")
    assert send_from_run(ctx, Stages(1, tty=False)) == 0
    assert capsys.readouterr().out.startswith("6 sent, 0 already sent before")
    assert sorted(a.rcpt_tos[0] for a in inbox.arrived) == sorted(EXPECTED)
    (room.folder / "subscribers.csv").write_text("email,region\nnobody,lviv\n", encoding="utf-8")
    assert send_from_run(ctx, Stages(1, tty=False)) == 1 and "not an email address" in capsys.readouterr().err
    ctx.store.close()


@pytest.mark.crawl
def test_mjml_is_compiled_once_per_language_not_per_recipient(smtp, mailroom, monkeypatch):
    import digest.email as email_module

    compiled: list[str] = []
    real = email_module.mjml2html

    def counting(source, **kwargs):
        compiled.append(source)
        return real(source, **kwargs)

    monkeypatch.setattr(email_module, "mjml2html", counting)
    inbox, port = smtp()
    room = mailroom(port, require_approval=False)
    store = room.store()
    assert send_digests(room.config, store, now=IN_WEEK_49).sent == 6
    assert len(compiled) == 4  # uk, en, sr-Cyrl, sr-Latn for six readers
    store.close()
