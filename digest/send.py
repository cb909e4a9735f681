"""Sending the digest over SMTP, exactly once per (digest, recipient) (DESIGN §7, docs/email.md).

:class:`Mailer` is one SMTP connection (STARTTLS, implicit TLS or plain; AUTH with a password
from the environment) reused for every message, rate-limited, reconnecting when the server
drops an idle connection. One :meth:`Mailer.send` is one attempt: it raises
:class:`TemporaryFailure` (4xx, lost connection) or :class:`PermanentFailure` (5xx).

:func:`send_digests` sends each subscriber their region's digest in their language, keeping the
send ledger (the store's ``sends`` table, one row per digest ``2026-W48/lviv/uk`` and recipient):

1. before the SMTP transaction the row is claimed: state ``sending``, ``attempts`` + 1, and a
   Message-ID derived from (digest, recipient), so every attempt carries the same id;
2. right after the server's 250 to DATA the row becomes ``sent`` (``sent_at``); a 5xx makes it
   ``failed`` with the server's answer; a 4xx puts it back to ``pending`` with the error, and it
   is retried with exponential backoff (``retries``, ``retry_delay``), then left for the next run.

On a later run ``sent`` and ``failed`` rows are skipped, ``pending`` ones are sent. A row still in
``sending`` was interrupted (crash, kill) during its transaction: it is sent again, with the same
Message-ID, and reported as uncertain. The only window in which that duplicates a message is
between the server's 250 and the commit of ``sent`` (one local write); every other interruption
leaves a row that was not delivered. Never skipping anyone is worth that: a lost digest cannot
be noticed, a duplicate with the same Message-ID is visible and most clients fold it.
One sending run at a time holds ``DATA_DIR/send.lock``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from calls.config import Config, ConfigError
from calls.regions import RegionProfile
from calls.store import Store, sends_table
from calls.urls import safe_url
from digest.approval import is_approved
from digest.editorial import Controls, controls
from digest.email import EmailRenderer, build_message
from digest.select import Digest, iso_week, select_digest
from digest.subscribers import (
    Subscriber,
    load_subscribers,
    load_suppressed,
    normalise_address,
    unsubscribe_link,
    unsubscribe_token,
)

log = logging.getLogger(__name__)

SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MIN_SECRET_LENGTH = 16


# -- failures ------------------------------------------------------------------------------

class SendError(Exception):
    """Sending could not be done as asked."""


class DeliveryFailure(SendError):
    """One SMTP attempt failed; ``code`` and ``response`` are the server's answer (code None: no answer)."""

    def __init__(self, code: int | None, response: str, refused: dict[str, tuple[int, str]] | None = None):
        self.code = code
        self.response = response
        self.refused = refused or {}
        """Recipient → (code, answer) of the recipients the server refused."""
        super().__init__(f"{code} {response}" if code is not None else response)


class TemporaryFailure(DeliveryFailure):
    """Try again later: a 4xx answer, a timeout or a lost connection."""


class ConnectionFailure(TemporaryFailure):
    """The SMTP server could not be reached (or the connection broke while opening)."""


class PermanentFailure(DeliveryFailure):
    """A 5xx answer: this message will not be accepted as it is."""


class SetupFailure(PermanentFailure):
    """Not the recipient's fault: TLS, authentication or the sender address was refused."""


class NotApproved(SendError):
    """This week's digest of some regions is not approved; ``missing`` lists (week, region)."""

    def __init__(self, missing: list[tuple[str, str]]):
        self.missing = missing
        weeks = sorted({w for w, _ in missing})
        regions = ", ".join(f"{r} ({w})" for w, r in missing)
        commands = "; ".join(f"grantdigest approve --week {w} --region {r}" for w, r in missing)
        super().__init__(
            f"not approved: {regions}. After checking the preview (grantdigest email --preview DIR "
            f"--week {weeks[0]}), run: {commands} — or approve every region of the week with "
            f"grantdigest approve --week {weeks[0]} --region '*'; [email] require_approval = false waives this.")


class SendLocked(SendError):
    """Another sending run holds the lock."""


# -- settings ------------------------------------------------------------------------------

@dataclass(frozen=True)
class EmailSettings:
    """The ``[email]`` table, checked (see grantdigest.toml and docs/email.md)."""

    sender: str
    department: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None
    unsubscribe_secret_env: str
    subscribers: Path | None
    suppression: Path
    smtp_host: str
    smtp_port: int
    security: str
    username: str | None
    password_env: str
    ca_file: Path | None
    timeout: float
    rate_per_minute: float
    retries: int
    retry_delay: float
    require_approval: bool
    send: bool
    site_url: str
    lock_file: Path

    @classmethod
    def from_config(cls, config: Config) -> EmailSettings:
        raw = config.section("email")
        where = config.path

        def path(key: str) -> Path | None:
            value = raw.get(key)
            return (config.base_dir / value).resolve() if value else None

        security = raw.get("security", "starttls")
        if security not in SECURITY_PORTS:
            raise ConfigError(f"[email] security must be one of {', '.join(SECURITY_PORTS)}, got {security!r}", where)
        numbers: dict[str, float] = {}
        for key, default in (("smtp_port", SECURITY_PORTS[security]), ("timeout", 30.0), ("rate_per_minute", 60.0),
                             ("retries", 3), ("retry_delay", 10.0)):
            value = raw.get(key, default)
            if (isinstance(value, bool) or not isinstance(value, int | float) or value < 0
                    or (key == "timeout" and not value)):
                raise ConfigError(f"[email] {key} must be a number ≥ 0 (timeout > 0), got {value!r}", where)
            numbers[key] = value
        for key in ("require_approval", "send"):
            if not isinstance(raw.get(key, False), bool):
                raise ConfigError(f"[email] {key} must be true or false, got {raw[key]!r}", where)
        return cls(
            sender=raw.get("sender", "grantdigest@grantdigest.invalid"),
            department=raw.get("department", ""),
            unsubscribe_url=raw.get("unsubscribe_url", "https://grantdigest.invalid/unsubscribe"),
            unsubscribe_mailto=raw.get("unsubscribe_mailto") or None,
            unsubscribe_secret_env=raw.get("unsubscribe_secret_env", "GRANTDIGEST_UNSUBSCRIBE_SECRET"),
            subscribers=path("subscribers"),
            suppression=path("suppression") or config.data_dir / "unsubscribed.txt",
            smtp_host=raw.get("smtp_host", "localhost"),
            smtp_port=int(numbers["smtp_port"]),
            security=security,
            username=raw.get("username") or None,
            password_env=raw.get("password_env", "GRANTDIGEST_SMTP_PASSWORD"),
            ca_file=path("ca_file"),
            timeout=float(numbers["timeout"]),
            rate_per_minute=float(numbers["rate_per_minute"]),
            retries=int(numbers["retries"]),
            retry_delay=float(numbers["retry_delay"]),
            require_approval=raw.get("require_approval", True),
            send=raw.get("send", False),
            site_url=config.section("site").get("base_url", "http://localhost:8000/"),
            lock_file=config.data_dir / "send.lock",
        )

    def secret(self) -> str:
        """The unsubscribe-token secret from ``$<unsubscribe_secret_env>``; :class:`SendError` when unset or short."""
        value = os.environ.get(self.unsubscribe_secret_env, "")
        if len(value) < MIN_SECRET_LENGTH:
            raise SendError(f"set ${self.unsubscribe_secret_env} (named by [email] unsubscribe_secret_env) to a random "
                            f"secret of at least {MIN_SECRET_LENGTH} characters: it signs the unsubscribe links")
        return value

    def password(self) -> str | None:
        """The SMTP password from ``$<password_env>`` when a username is set; :class:`SendError` when it is missing."""
        if not self.username:
            return None
        value = os.environ.get(self.password_env)
        if not value:
            raise SendError(
                f"[email] username is set but ${self.password_env} (named by [email] password_env) is empty"
            )
        return value

    def check_sendable(self) -> None:
        """:class:`SendError` unless every message can carry a sender, the department's address and an https
        unsubscribe link."""
        try:
            normalise_address(parseaddr(self.sender)[1])
        except ValueError as exc:
            raise SendError(f"[email] sender: {exc}") from None
        if not self.department.strip():
            raise SendError("[email] department is empty: every digest must carry the department's name and address")
        if urlsplit(self.unsubscribe_url).scheme != "https" or safe_url(self.unsubscribe_url) is None:
            raise SendError(f"[email] unsubscribe_url must be an https URL, got {self.unsubscribe_url!r}")
        if self.subscribers is None:
            raise SendError("[email] subscribers is not set: name the subscribers file (see docs/email.md)")

    def ssl_context(self) -> ssl.SSLContext:
        """Certificate and host name checked, against the system CAs or ``ca_file``."""
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)


# -- the SMTP connection -------------------------------------------------------------------

class Mailer:
    """One reused SMTP connection; a context manager. Connects on the first :meth:`send`."""

    def __init__(self, host: str, port: int, *, security: str = "starttls", username: str | None = None,
                 password: str | None = None, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0,
                 rate_per_minute: float = 0.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if security not in SECURITY_PORTS:
            raise ValueError(f"security must be one of {', '.join(SECURITY_PORTS)}, got {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self._password = username, password
        self.ssl_context = ssl_context or (ssl.create_default_context() if security != "none" else None)
        self.timeout = timeout
        self.interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self._clock, self._sleep = clock, sleep
        self._smtp: smtplib.SMTP | None = None
        self._last_start: float | None = None
        self.connections = 0
        """Connections opened so far (one for a whole run unless the server drops it)."""

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """QUIT and close the connection, if open."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: EmailMessage, *, to_addrs: Sequence[str] | None = None) -> None:
        """Deliver ``message`` (to ``to_addrs``, default its To/Cc/Bcc) in one SMTP transaction.

        Waits for the rate limit first. A reused connection the server has closed is reopened
        once. Raises :class:`TemporaryFailure` or :class:`PermanentFailure`; when only some of
        several recipients are refused, the others were accepted and the failure's ``refused``
        names the rest.
        """
        self._throttle()
        for attempt in (1, 2):
            reused = self._smtp is not None
            smtp = self._connection()
            try:
                refused = smtp.send_message(message, from_addr=parseaddr(message["From"])[1] or None,
                                            to_addrs=list(to_addrs) if to_addrs else None)
            except smtplib.SMTPServerDisconnected as exc:
                self._drop()
                if reused and attempt == 1:
                    continue
                raise TemporaryFailure(None, f"connection lost: {exc}") from None
            except smtplib.SMTPRecipientsRefused as exc:
                raise _refusal(exc.recipients) from None
            except smtplib.SMTPSenderRefused as exc:
                text = _text(exc.smtp_error)
                if 400 <= exc.smtp_code < 500:
                    raise TemporaryFailure(exc.smtp_code, text) from None
                raise SetupFailure(exc.smtp_code, f"sender {exc.sender} refused: {text}") from None
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code == 421:
                    self._drop()
                raise _failure(exc.smtp_code, _text(exc.smtp_error)) from None
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                raise TemporaryFailure(None, f"{type(exc).__name__}: {exc}") from None
            if refused:
                raise PermanentFailure(None, "some recipients were refused", _refused(refused))
            return

    def _throttle(self) -> None:
        if self.interval and self._last_start is not None:
            wait = self._last_start + self.interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_start = self._clock()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._open()
            self.connections += 1
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = None
        try:
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            smtp.ehlo()
            if self.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise SetupFailure(
                        None, f"{self.host}:{self.port} does not offer STARTTLS (security = \"starttls\")"
                    )
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self._password or "")
            return smtp
        except SetupFailure:
            _close_quietly(smtp)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _close_quietly(smtp)
            raise SetupFailure(
                exc.smtp_code, f"authentication as {self.username} refused: {_text(exc.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            _close_quietly(smtp)
            raise SetupFailure(None, f"{self.host}:{self.port}: {exc}") from None
        except ssl.SSLError as exc:
            _close_quietly(smtp)
            raise SetupFailure(None, f"TLS with {self.host}:{self.port} failed: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            _close_quietly(smtp)
            raise _failure(exc.smtp_code, _text(exc.smtp_error), connecting=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            _close_quietly(smtp)
            raise ConnectionFailure(
                None, f"cannot connect to {self.host}:{self.port}: {type(exc).__name__}: {exc}"
            ) from None

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        _close_quietly(smtp)


def mailer_from_config(config: Config) -> Mailer:
    """A :class:`Mailer` from ``[email]`` (host, port, security, username, password from the environment, rate)."""
    settings = EmailSettings.from_config(config)
    return Mailer(settings.smtp_host, settings.smtp_port, security=settings.security, username=settings.username,
                  password=settings.password(),
                  ssl_context=settings.ssl_context() if settings.security != "none" else None,
                  timeout=settings.timeout, rate_per_minute=settings.rate_per_minute)


def _failure(code: int, text: str, *, connecting: bool = False) -> DeliveryFailure:
    if 400 <= code < 500:
        return ConnectionFailure(code, text) if connecting else TemporaryFailure(code, text)
    if 500 <= code < 600:
        return SetupFailure(code, text) if connecting else PermanentFailure(code, text)
    return TemporaryFailure(code, text)


def _refusal(recipients: dict[str, tuple[int, bytes | str]]) -> DeliveryFailure:
    refused = _refused(recipients)
    code, text = next(iter(refused.values()))
    if all(400 <= c < 500 for c, _ in refused.values()):
        return TemporaryFailure(code, text, refused)
    return PermanentFailure(code, text, refused)


def _refused(recipients: dict[str, tuple[int, bytes | str]]) -> dict[str, tuple[int, str]]:
    return {address: (code, _text(answer)) for address, (code, answer) in recipients.items()}


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass


# -- the ledger ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SendRow:
    digest: str
    recipient: str
    state: str
    attempts: int
    message_id: str | None
    error: str | None
    updated_at: datetime
    sent_at: datetime | None


class Ledger:
    """The ``sends`` table: every (digest, recipient) recorded before and after its SMTP transaction."""

    def __init__(self, store: Store):
        self.engine = store.engine

    def get(self, digest: str, recipient: str) -> SendRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(sends_table).where(*self._key(digest, recipient))).first()
        return SendRow(**row._mapping) if row else None

    def rows(self, digest: str | None = None) -> list[SendRow]:
        query = sa.select(sends_table).order_by(sends_table.c.digest, sends_table.c.recipient)
        if digest:
            query = query.where(sends_table.c.digest == digest)
        with self.engine.connect() as conn:
            return [SendRow(**row._mapping) for row in conn.execute(query)]

    def sent_elsewhere(self, prefix: str, recipient: str, digest: str) -> SendRow | None:
        """A ``sent`` row of another digest starting with ``prefix`` (the same week and region in another language)."""
        query = sa.select(sends_table).where(
            sends_table.c.digest.startswith(prefix, autoescape=True), sends_table.c.digest != digest,
            sends_table.c.recipient == recipient, sends_table.c.state == SENT)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return SendRow(**row._mapping) if row else None

    def claim(self, digest: str, recipient: str, message_id: str, at: datetime) -> None:
        """Record an attempt about to start: ``sending``, attempts + 1; :class:`SendError` if the row is sent or
        failed."""
        with self.engine.begin() as conn:
            updated = conn.execute(sa.update(sends_table).where(
                *self._key(digest, recipient), sends_table.c.state.in_([PENDING, SENDING])
            ).values(state=SENDING, attempts=sends_table.c.attempts + 1,
                     message_id=sa.func.coalesce(sends_table.c.message_id, message_id), updated_at=at))
            if updated.rowcount:
                return
            exists = conn.execute(sa.select(sends_table.c.state).where(*self._key(digest, recipient))).scalar()
            if exists is not None:
                raise SendError(f"{digest} to {recipient} is already {exists}")
            conn.execute(sa.insert(sends_table).values(digest=digest, recipient=recipient, state=SENDING, attempts=1,
                                                       message_id=message_id, updated_at=at))

    def mark_sent(self, digest: str, recipient: str, at: datetime) -> None:
        self._set(digest, recipient, state=SENT, error=None, updated_at=at, sent_at=at)

    def mark_failed(self, digest: str, recipient: str, error: str, at: datetime) -> None:
        self._set(digest, recipient, state=FAILED, error=error, updated_at=at)

    def mark_pending(self, digest: str, recipient: str, error: str, at: datetime) -> None:
        self._set(digest, recipient, state=PENDING, error=error, updated_at=at)

    def _set(self, digest: str, recipient: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(sends_table).where(*self._key(digest, recipient)).values(**values))

    @staticmethod
    def _key(digest: str, recipient: str) -> tuple:
        return (sends_table.c.digest == digest, sends_table.c.recipient == recipient)


def message_id_for(digest: str, recipient: str, sender: str) -> str:
    """The Message-ID of ``digest`` to ``recipient``: the same on every attempt and every run."""
    token = hashlib.sha256(f"{digest}\n{recipient.lower()}".encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "grantdigest.invalid"
    return f"<digest.{token}@{domain}>"


# -- sending the digests -------------------------------------------------------------------

@dataclass
class SendReport:
    """What one sending run did."""

    sent: int = 0
    skipped: int = 0
    """Already sent (or permanently failed) in an earlier run."""
    failed: int = 0
    """Refused for good in this run (5xx), recorded as ``failed``."""
    deferred: int = 0
    """Temporary failures still failing after the retries; ``pending``, sent by the next run."""
    suppressed: int = 0
    """Subscribers on the suppression list (unsubscribed)."""
    uncertain: list[str] = field(default_factory=list)
    """``digest → recipient`` found in ``sending`` (interrupted earlier) and sent again."""
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    """(digest, recipient, error) of every failed or deferred send."""
    aborted: str | None = None
    """Why the run stopped early (server unreachable, TLS or login refused), if it did."""

    @property
    def ok(self) -> bool:
        return not (self.failed or self.deferred or self.aborted)


def send_digests(config: Config, store: Store, *, week: str | None = None, now: datetime | None = None,
                 regions: Iterable[str] | None = None, mailer: Mailer | None = None,
                 renderer: EmailRenderer | None = None, sleep: Callable[[float], None] = time.sleep) -> SendReport:
    """Send this week's digest (or ``week``'s) to every subscriber of ``regions`` (default: all), exactly once.

    Raises :class:`SendError` (:class:`NotApproved`, :class:`SendLocked`, settings) before anything
    is sent, and :class:`digest.subscribers.SubscriberError` when the subscribers file has a bad row.
    """
    from calls.regions import configured_regions

    settings = EmailSettings.from_config(config)
    settings.check_sendable()
    secret = settings.secret()
    profiles = configured_regions(config)
    subscribers = load_subscribers(settings.subscribers, profiles)
    wanted = set(regions) if regions else None
    if wanted is not None and (unknown := wanted - set(profiles)):
        raise SendError(f"unknown region(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(profiles))}")
    subscribers = [s for s in subscribers if wanted is None or s.region in wanted]
    now = now or datetime.now(UTC)
    weeks = {rid: week or iso_week(now, profiles[rid].zone) for rid in {s.region for s in subscribers}}
    if settings.require_approval:
        missing = sorted((w, rid) for rid, w in weeks.items() if not is_approved(store, w, rid))
        if missing:
            raise NotApproved(missing)
    suppressed = load_suppressed(settings.suppression)
    report = SendReport()
    with _lock(settings.lock_file), (mailer or mailer_from_config(config)) as smtp:
        editorial = controls(store)
        sender = _Sender(settings, Ledger(store), smtp, renderer or EmailRenderer(), secret, report, sleep, editorial)
        try:
            for (rid, lang), readers in _editions(subscribers).items():
                region = profiles[rid]
                digest = select_digest(store, region, now, week=weeks[rid], exclude=editorial.exclusions(rid),
                                       pinned=editorial.pins(rid))
                for reader in readers:
                    if reader.key in suppressed:
                        report.suppressed += 1
                    else:
                        sender.send(digest, region, lang, reader)
        except (ConnectionFailure, SetupFailure) as exc:
            report.aborted = str(exc)
            log.error("sending stopped: %s", exc)
    return report


def for_themes(digest: Digest, themes: Iterable[str]) -> Digest:
    """``digest`` with only the entries classified under one of ``themes`` (all of them when none)."""
    wanted = set(themes)
    if not wanted:
        return digest

    def keep(entries):
        return [e for e in entries if wanted & set(e.classification.themes)]

    return dataclasses.replace(digest, new=keep(digest.new), closing_soon=keep(digest.closing_soon),
                               updated=keep(digest.updated), top=keep(digest.top))


def digest_key(digest: Digest, lang: str) -> str:
    """The ledger's name of one edition: ``2026-W48/lviv/uk``."""
    return f"{digest.week}/{digest.region.id}/{lang}"


class _Sender:
    """Sends one reader their edition, keeping the ledger and the report."""

    def __init__(self, settings: EmailSettings, ledger: Ledger, mailer: Mailer, renderer: EmailRenderer,
                 secret: str, report: SendReport, sleep: Callable[[float], None], editorial: Controls):
        self.settings, self.ledger, self.mailer, self.renderer = settings, ledger, mailer, renderer
        self.secret, self.report, self.sleep, self.editorial = secret, report, sleep, editorial

    def send(self, digest: Digest, region: RegionProfile, lang: str, reader: Subscriber) -> None:
        key = digest_key(digest, lang)
        row = self.ledger.get(key, reader.key)
        if row and row.state in (SENT, FAILED):
            self.report.skipped += 1
            return
        if self.ledger.sent_elsewhere(f"{digest.week}/{region.id}/", reader.key, key):
            self.report.skipped += 1  # got this week's digest in another language before switching
            return
        if row and row.state == SENDING:
            self.report.uncertain.append(f"{key} → {reader.key}")
            log.warning("%s to %s was interrupted during an earlier attempt; sending again with the same Message-ID %s",
                        key, reader.key, row.message_id)
        message = self.message(digest, lang, reader, (row.message_id if row else None) or
                               message_id_for(key, reader.key, self.settings.sender))
        for attempt in range(self.settings.retries + 1):
            self.ledger.claim(key, reader.key, message["Message-ID"], datetime.now(UTC))
            try:
                self.mailer.send(message, to_addrs=[reader.email])
            except SetupFailure as exc:
                self.ledger.mark_pending(key, reader.key, str(exc), datetime.now(UTC))
                raise
            except PermanentFailure as exc:
                self.ledger.mark_failed(key, reader.key, str(exc), datetime.now(UTC))
                self.report.failed += 1
                self.report.failures.append((key, reader.key, str(exc)))
                return
            except TemporaryFailure as exc:
                self.ledger.mark_pending(key, reader.key, str(exc), datetime.now(UTC))
                if attempt == self.settings.retries:
                    if isinstance(exc, ConnectionFailure):
                        raise
                    self.report.deferred += 1
                    self.report.failures.append((key, reader.key, str(exc)))
                    return
                log.info("%s to %s: %s; retrying", key, reader.key, exc)
                self.sleep(self.settings.retry_delay * 2 ** attempt)
                continue
            self.ledger.mark_sent(key, reader.key, datetime.now(UTC))
            self.report.sent += 1
            return

    def message(self, digest: Digest, lang: str, reader: Subscriber, message_id: str) -> EmailMessage:
        link = unsubscribe_link(self.settings.unsubscribe_url, unsubscribe_token(self.secret, reader.email))
        rendered = self.renderer.render(for_themes(digest, reader.themes), lang, site_url=self.settings.site_url,
                                        unsubscribe_url=link, department=self.settings.department,
                                        controls=self.editorial)
        return build_message(rendered, sender=self.settings.sender,
                             recipient=formataddr((reader.name or "", reader.email)),
                             unsubscribe_url=link, unsubscribe_mailto=self.settings.unsubscribe_mailto,
                             message_id=message_id)


def _editions(subscribers: Iterable[Subscriber]) -> dict[tuple[str, str], list[Subscriber]]:
    """Subscribers grouped by (region, language), in file order."""
    out: dict[tuple[str, str], list[Subscriber]] = {}
    for subscriber in subscribers:
        out.setdefault((subscriber.region, subscriber.language), []).append(subscriber)
    return out


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SendLocked(f"another grantdigest email --send is running (lock {path})") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
