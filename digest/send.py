"""Sending the digest over SMTP, exactly once per (digest, recipient) (DESIGN §7, docs/email.md).

The SMTP side — :class:`Mailer` (one reused connection; :class:`TemporaryFailure` on 4xx, lost
connection, :class:`PermanentFailure` on 5xx) and :class:`EmailSettings` — lives in :mod:`digest.smtp`
and is re-exported here.

:func:`send_digests` sends each subscriber their region's digest in their language, keeping the
send ledger (the store's ``sends`` table, one row per digest ``2026-W48/lviv/uk`` and recipient):

1. before the SMTP transaction the row is claimed: state ``sending``, ``attempts`` + 1, and a
   Message-ID derived from (digest, recipient), so every attempt carries the same id;
2. right after the server's 250 to DATA the row becomes ``sent`` (``sent_at``); a 5xx makes it
   ``failed`` with the server's answer; a 4xx puts it back to ``pending`` with the error, and it
   is retried with exponential backoff (``retries``, ``retry_delay``), then left for the next run.

On a later run ``sent`` and ``failed`` rows are skipped, ``pending`` ones are sent. A row still in
``sending`` is **in flight**: a run was interrupted (crash, kill) during its transaction, and the
message may or may not have reached the server (the server may have answered 250 just before the
kill). It is never sent again on the sender's own judgement: every run reports it ("in flight")
until the editor decides, having looked at the server's log for its Message-ID:
``grantdigest email --resolve-in-flight sent`` (it arrived) or ``... resend`` (send it again, with
the same Message-ID, on the next ``--send``); :func:`resolve_in_flight`. So no reader gets two
copies and none is skipped silently.
One sending run at a time holds ``DATA_DIR/send.lock``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from calls.config import Config
from calls.regions import RegionProfile
from calls.store import Store, sends_table
from digest.approval import is_approved
from digest.editorial import Controls, controls
from digest.email import EmailRenderer, build_message
from digest.select import Digest, iso_week, select_digest
from digest.smtp import MIN_SECRET_LENGTH as MIN_SECRET_LENGTH
from digest.smtp import SECURITY_PORTS as SECURITY_PORTS
from digest.smtp import (
    ConnectionFailure,
    EmailSettings,
    Mailer,
    PermanentFailure,
    SendError,
    SetupFailure,
    TemporaryFailure,
    mailer_from_config,
)
from digest.smtp import DeliveryFailure as DeliveryFailure
from digest.subscribers import (
    Subscriber,
    load_subscribers,
    load_suppressed,
    unsubscribe_link,
    unsubscribe_token,
)

log = logging.getLogger(__name__)

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


# -- failures of a sending run ---------------------------------------------------------------

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


RESOLUTIONS = ("sent", "resend")
"""The editor's word on an in-flight message: it arrived (``sent``), or send it again (``resend``)."""


def resolve_in_flight(store: Store, resolution: str, *, week: str | None = None,
                      regions: Iterable[str] | None = None, at: datetime | None = None) -> list[SendRow]:
    """Settle every in-flight row (of ``week`` and ``regions`` when given) as the editor said; the rows settled.

    ``sent`` records it as delivered; ``resend`` puts it back to ``pending`` for the next ``--send``.
    """
    if resolution not in RESOLUTIONS:
        raise SendError(f"--resolve-in-flight takes {' or '.join(RESOLUTIONS)}, got {resolution!r}")
    at, wanted = at or datetime.now(UTC), set(regions or ())
    ledger = Ledger(store)
    settled = [r for r in ledger.rows() if r.state == SENDING and (week is None or r.digest.split("/")[0] == week)
               and (not wanted or r.digest.partition("/")[2].partition("/")[0] in wanted)]
    for row in settled:
        with store.engine.begin() as conn:
            where = (*Ledger._key(row.digest, row.recipient), sends_table.c.state == SENDING)
            if resolution == "sent":
                values = {"state": SENT, "sent_at": at, "error": "marked sent by the editor after an interruption"}
            else:
                values = {"state": PENDING, "error": "to send again, by the editor, after an interrupted attempt"}
            conn.execute(sa.update(sends_table).where(*where).values(updated_at=at, **values))
    return settled


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
    in_flight: list[str] = field(default_factory=list)
    """``digest → recipient`` found in ``sending`` (interrupted earlier) and not sent: the editor's to resolve."""
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    """(digest, recipient, error) of every failed or deferred send."""
    aborted: str | None = None
    """Why the run stopped early (server unreachable, TLS or login refused), if it did."""

    @property
    def ok(self) -> bool:
        return not (self.failed or self.deferred or self.aborted or self.in_flight)


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
            self.report.in_flight.append(f"{key} → {reader.key}")
            log.warning("%s to %s was in flight when an earlier run was interrupted (Message-ID %s); not sent again "
                        "until grantdigest email --resolve-in-flight sent|resend", key, reader.key, row.message_id)
            return
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
