"""Sending the digest to a real SMTP server on 127.0.0.1 (aiosmtpd, started here) with the exactly-once ledger.

The store is a real crawl of the F&TP fixtures first seen in 2026-W49 (as in test_select),
copied for every test so that each starts with an empty send ledger.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses

import frozen_clock
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from test_select import CONFIG, CRAWLED, ENERGY, IN_WEEK_49, MIRROR, crawl_at

from calls.config import ConfigError, load_config
from calls.regions import load_regions
from calls.replay import ReplayServer
from calls.store import Store, sends_table
from calls.testing import write_config
from digest.approval import approve
from digest.cli import cli
from digest.i18n import translations
from digest.select import select_digest
from digest.send import (
    SENDING,
    ConnectionFailure,
    Ledger,
    Mailer,
    NotApproved,
    PermanentFailure,
    SendError,
    TemporaryFailure,
    for_themes,
    message_id_for,
    send_digests,
)
from digest.subscribers import suppress, unsubscribe_token

SECRET = "test-secret-0123456789abcdef"
SECRET_ENV = "GRANTDIGEST_UNSUBSCRIBE_SECRET"
SENDER = "Grant digest <digest@grants.example.gov>"
UNSUBSCRIBE = "https://grants.example.gov/unsubscribe"
WEEK = "2026-W49"
CYRILLIC = re.compile("[а-яА-ЯјђћџљњЈЂЋЏЉЊ]")
REGIONS = load_regions()
SUBSCRIBERS = """\
# the department's readers
email,region,language,themes,name
olena@lviv.example.ua,lviv,uk,,Олена Коваль
john@lviv.example.ua,lviv,en,,
ivan@lviv.example.ua,lviv,uk,energy-efficiency,
milica@novisad.example.rs,vojvodina,sr-Cyrl,,Милица Петровић
marko@novisad.example.rs,vojvodina,sr-Latn,,
ana@novisad.example.rs,vojvodina,en,,
"""
EXPECTED = {"olena@lviv.example.ua": ("lviv", "uk"), "john@lviv.example.ua": ("lviv", "en"),
            "ivan@lviv.example.ua": ("lviv", "uk"), "milica@novisad.example.rs": ("vojvodina", "sr-Cyrl"),
            "marko@novisad.example.rs": ("vojvodina", "sr-Latn"), "ana@novisad.example.rs": ("vojvodina", "en")}


# -- the SMTP server --------------------------------------------------------------------------

@dataclass(frozen=True)
class Arrived:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: tuple
    tls: bool
    login: bytes | None

    @property
    def message(self):
        return BytesParser(policy=default_policy).parsebytes(self.data)


class Inbox:
    """An aiosmtpd handler that records what it accepts, with scripted answers.

    ``answers[address]`` is a list of RCPT answers used in turn (the last one stays);
    ``hold_after = N`` holds the DATA of every message after the N-th without answering
    until ``release`` is set, then refuses it (so it never counts as delivered).
    """

    def __init__(self):
        self.arrived: list[Arrived] = []
        self.answers: dict[str, list[str]] = {}
        self.hold_after: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.drop_after_each = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        script = self.answers.get(address)
        answer = (script.pop(0) if len(script) > 1 else script[0]) if script else "250 OK"
        if answer.startswith("250"):
            envelope.rcpt_tos.append(address)
        return answer

    async def handle_DATA(self, server, session, envelope):
        if self.hold_after is not None and len(self.arrived) >= self.hold_after:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 the test refused this message"
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.arrived.append(Arrived(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content,
                                    tuple(session.peer), server.transport.get_extra_info("ssl_object") is not None,
                                    login))
        if self.drop_after_each:
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[Arrived]:
        return [a for a in self.arrived if address in a.rcpt_tos]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    """Start an SMTP server on 127.0.0.1: ``inbox, port = smtp(**controller_options)``."""
    controllers = []

    def start(**options) -> tuple[Inbox, int]:
        inbox, port = Inbox(), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append((controller, inbox))
        return inbox, port

    yield start
    for controller, inbox in controllers:
        inbox.release.set()
        controller.stop()


# -- the store and the config ---------------------------------------------------------------

@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The database file of a crawl first seen on Monday of 2026-W49."""
    folder = tmp_path_factory.mktemp("send-crawl")
    server = ReplayServer(MIRROR).start()
    try:
        store = crawl_at(write_config(folder, extra=CONFIG), server, CRAWLED, "eu-ftp")
    finally:
        server.stop()
    store.close()
    return folder / "grantdigest.db"


@dataclass
class Mailroom:
    config_path: object
    folder: object

    @property
    def config(self):
        return load_config(self.config_path)

    def store(self) -> Store:
        return Store.open(self.config.database_url)


@pytest.fixture
def mailroom(crawled, tmp_path, monkeypatch):
    """A copy of the crawled store and a config sending to ``mailroom(port, **email_keys)``."""
    monkeypatch.setenv(SECRET_ENV, SECRET)

    def make(port: int, subscribers: str = SUBSCRIBERS, folder=None, **keys) -> Mailroom:
        folder = folder or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        source, target = sqlite3.connect(crawled), sqlite3.connect(folder / "grantdigest.db")
        source.backup(target)
        source.close()
        target.close()
        (folder / "subscribers.csv").write_text(subscribers, encoding="utf-8")
        email = {"sender": SENDER, "department": "Department of International Cooperation\nvul. Vynnychenka 18, Lviv",
                 "unsubscribe_url": UNSUBSCRIBE, "unsubscribe_mailto": "unsubscribe@grants.example.gov",
                 "subscribers": "subscribers.csv", "smtp_host": "127.0.0.1", "smtp_port": port, "security": "none",
                 "rate_per_minute": 0, "retries": 2, "retry_delay": 1.5, **keys}
        lines = ["[email]"] + [f"{key} = {toml(value)}" for key, value in email.items()]
        return Mailroom(write_config(folder, extra=CONFIG + "\n".join(lines) + "\n"), folder)

    return make


def toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def rows(store: Store) -> dict[str, tuple]:
    return {r.recipient: r for r in Ledger(store).rows()}


# -- what arrives ----------------------------------------------------------------------------

@pytest.mark.crawl
def test_every_subscriber_gets_their_edition_once_over_one_connection(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port)
    store = room.store()
    approve(store, WEEK, "*", by="Olena")
    report = send_digests(room.config, store, now=IN_WEEK_49)
    assert (report.sent, report.skipped, report.failed, report.deferred, report.suppressed) == (6, 0, 0, 0, 0)
    assert report.ok and report.uncertain == [] and report.aborted is None
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
def test_an_interrupted_attempt_is_sent_again_with_the_same_message_id(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port, require_approval=False)
    store = room.store()
    key, address = f"{WEEK}/lviv/en", "john@lviv.example.ua"
    Ledger(store).claim(key, address, "<left-by-a-crash@grants.example.gov>", dt.datetime.now(dt.UTC))
    report = send_digests(room.config, store, now=IN_WEEK_49)
    assert report.sent == 6 and report.uncertain == [f"{key} → {address}"]
    (arrived,) = inbox.to(address)
    assert arrived.message["Message-ID"] == "<left-by-a-crash@grants.example.gov>"
    assert rows(store)[address].attempts == 2
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
def test_a_killed_run_and_its_restart_deliver_each_message_exactly_once(smtp, mailroom):
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
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.startswith("3 sent, 3 already sent before, 0 failed, 0 deferred")
    assert f"sent again after an interrupted attempt: {interrupted.digest} → {interrupted.recipient}" in rerun.stderr
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


# -- the connection: TLS, AUTH, rate, reconnect -----------------------------------------------------

def self_signed(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1/localhost and its key, as PEM files."""
    crypto = pytest.importorskip("cryptography")
    del crypto
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = frozen_clock.real_now()  # OpenSSL checks the certificate against the system clock, not the frozen one
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"digest", b"pa55-word")
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.mark.crawl
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_auth_with_the_password_from_the_environment(smtp, mailroom, tmp_path, monkeypatch, security):
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    if security == "starttls":
        inbox, port = smtp(tls_context=server_tls, require_starttls=True, auth_required=True,
                           authenticator=authenticator)
    else:
        # aiosmtpd only counts STARTTLS as TLS for AUTH; the connection here is TLS from the first byte
        inbox, port = smtp(ssl_context=server_tls, auth_required=True, auth_require_tls=False,
                           authenticator=authenticator)
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "pa55-word")
    room = mailroom(port, security=security, username="digest", password_env="DIGEST_SMTP_PASSWORD",
                    ca_file=cert, require_approval=False)
    store = room.store()
    report = send_digests(room.config, store, now=IN_WEEK_49)
    assert report.sent == 6 and all(a.tls and a.login == b"digest" for a in inbox.arrived)
    assert len({a.peer for a in inbox.arrived}) == 1

    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "wrong")
    room = mailroom(port, folder=tmp_path / "second", security=security, username="digest",
                    password_env="DIGEST_SMTP_PASSWORD", ca_file=cert, require_approval=False)
    other = room.store()
    refused = send_digests(room.config, other, now=IN_WEEK_49)
    assert (refused.sent == 0 and refused.failed == 0
            and refused.aborted.startswith("535 authentication as digest refused: 5.7.8"))
    assert [r.state for r in rows(other).values()] == ["pending"]  # nobody marked failed for a setup error
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD")
    with pytest.raises(SendError, match=r"\$DIGEST_SMTP_PASSWORD"):
        send_digests(room.config, other, now=IN_WEEK_49)
    store.close()
    other.close()


def test_an_untrusted_certificate_is_refused(smtp, tmp_path):
    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox, port = smtp(tls_context=server_tls, require_starttls=True)
    with Mailer("127.0.0.1", port, security="starttls", ssl_context=ssl.create_default_context()) as mailer:
        with pytest.raises(PermanentFailure, match="TLS with 127.0.0.1"):
            mailer.send(plain_message("a@example.org"))
    assert inbox.arrived == []


def plain_message(to: str, subject: str = "hello"):
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "digest@grants.example.gov", to, subject
    message.set_content("text")
    return message


def test_rate_limit_spaces_the_messages(smtp):
    inbox, port = smtp()
    waits: list[float] = []
    with Mailer("127.0.0.1", port, security="none", rate_per_minute=30, sleep=waits.append) as mailer:
        for n in range(3):
            mailer.send(plain_message(f"r{n}@example.org"))
    assert len(inbox.arrived) == 3 and len(waits) == 2
    assert all(1.0 < w <= 2.0 for w in waits)  # 30 a minute: one every 2 s, less the time the send took
    unlimited: list[float] = []
    with Mailer("127.0.0.1", port, security="none", sleep=unlimited.append) as mailer:
        mailer.send(plain_message("x@example.org"))
        mailer.send(plain_message("y@example.org"))
    assert unlimited == []


def test_a_dropped_connection_is_reopened(smtp):
    inbox, port = smtp()
    inbox.drop_after_each = True
    with Mailer("127.0.0.1", port, security="none") as mailer:
        mailer.send(plain_message("a@example.org"))
        time.sleep(0.3)  # the server closes the connection after each message
        mailer.send(plain_message("b@example.org"))
        assert mailer.connections == 2
    assert [a.rcpt_tos for a in inbox.arrived] == [("a@example.org",), ("b@example.org",)]


def test_failures_carry_the_servers_answer(smtp):
    inbox, port = smtp()
    inbox.answers = {"busy@example.org": ["421 4.7.0 try again later"], "gone@example.org": ["550 5.1.1 unknown user"]}
    with Mailer("127.0.0.1", port, security="none") as mailer:
        with pytest.raises(TemporaryFailure) as temporary:
            mailer.send(plain_message("busy@example.org"))
        assert temporary.value.code == 421 and temporary.value.refused == {
            "busy@example.org": (421, "4.7.0 try again later")}
        with pytest.raises(PermanentFailure) as permanent:
            mailer.send(plain_message("gone@example.org"))
        assert permanent.value.code == 550 and str(permanent.value) == "550 5.1.1 unknown user"
        with pytest.raises(PermanentFailure) as partial:
            mailer.send(plain_message("gone@example.org, ok@example.org"))
        assert partial.value.refused == {"gone@example.org": (550, "5.1.1 unknown user")}
        mailer.send(plain_message("ok@example.org"))
    assert [a.rcpt_tos for a in inbox.arrived] == [("ok@example.org",), ("ok@example.org",)]
    with Mailer("127.0.0.1", free_port(), security="none", timeout=2) as mailer:
        with pytest.raises(ConnectionFailure, match="cannot connect"):
            mailer.send(plain_message("a@example.org"))


def test_starttls_missing_is_a_setup_failure(smtp):
    inbox, port = smtp()
    with Mailer("127.0.0.1", port, security="starttls") as mailer:
        with pytest.raises(PermanentFailure, match="does not offer STARTTLS"):
            mailer.send(plain_message("a@example.org"))
    assert inbox.arrived == []


def test_ledger_claims_only_unsent_rows(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    ledger, at = Ledger(store), dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
    ledger.claim("2026-W49/lviv/uk", "a@example.org", "<m1@x>", at)
    ledger.mark_pending("2026-W49/lviv/uk", "a@example.org", "451 later", at)
    ledger.claim("2026-W49/lviv/uk", "a@example.org", "<other@x>", at)
    row = ledger.get("2026-W49/lviv/uk", "a@example.org")
    assert (row.state, row.attempts, row.message_id, row.error) == ("sending", 2, "<m1@x>", "451 later")
    ledger.mark_sent("2026-W49/lviv/uk", "a@example.org", at)
    with pytest.raises(SendError, match="already sent"):
        ledger.claim("2026-W49/lviv/uk", "a@example.org", "<m1@x>", at)
    assert ledger.sent_elsewhere("2026-W49/lviv/", "a@example.org", "2026-W49/lviv/en").state == "sent"
    assert ledger.sent_elsewhere("2026-W49/lviv/", "a@example.org", "2026-W49/lviv/uk") is None
    assert ledger.sent_elsewhere("2026-W49/lviv_x/", "a@example.org", "2026-W49/lviv_x/en") is None
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sends_table)).scalar() == 1
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
