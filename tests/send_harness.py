"""What tests/test_send.py and tests/test_send_smtp.py share: a real SMTP server on 127.0.0.1 (aiosmtpd),
the crawled store, the mail config and the subscribers.

The fixtures are named in their decorators (``smtp``, ``crawled``, ``mailroom``) so that a test file can import
them (``from send_harness import crawled_fixture, mailroom_fixture, smtp_fixture``) without its tests' parameters
shadowing the imported names. ``crawled`` keeps module scope: one crawl per test file that imports it.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
import threading
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import LoginPassword
from test_select import CONFIG, CRAWLED, seed_at

from calls.config import load_config
from calls.regions import load_regions
from calls.store import Store
from digest.offline import write_config
from digest.send import Ledger

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
    until ``release`` is set, then refuses it (so it never counts as delivered);
    ``stall_after_accepting = N`` takes the N-th message whole (it arrived), then holds its answer until
    ``release`` (a server that delivers, then stalls before its 250).
    """

    def __init__(self):
        self.arrived: list[Arrived] = []
        self.answers: dict[str, list[str]] = {}
        self.hold_after: int | None = None
        self.stall_after_accepting: int | None = None
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
        if self.stall_after_accepting is not None and len(self.arrived) == self.stall_after_accepting:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        if self.drop_after_each:
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 2.0.0 queued"

    def to(self, address: str) -> list[Arrived]:
        return [a for a in self.arrived if address in a.rcpt_tos]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(name="smtp")
def smtp_fixture():
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

@pytest.fixture(name="crawled", scope="module")
def crawled_fixture(tmp_path_factory):
    """The database file of the F&TP fixture calls, first seen on Monday of 2026-W49."""
    folder = tmp_path_factory.mktemp("send-crawl")
    seed_at(write_config(folder, extra=CONFIG), CRAWLED, "eu-ftp").close()
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


@pytest.fixture(name="mailroom")
def mailroom_fixture(crawled, tmp_path, monkeypatch):
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
