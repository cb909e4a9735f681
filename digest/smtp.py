"""The ``[email]`` settings and the SMTP connection the digest is sent over (docs/email.md).

:class:`EmailSettings` is the checked ``[email]`` table (secrets come from the environment).
:class:`Mailer` is one SMTP connection (STARTTLS, implicit TLS or plain; AUTH with a password
from the environment) reused for every message, rate-limited, reconnecting when the server
drops an idle connection. One :meth:`Mailer.send` is one attempt: it raises
:class:`TemporaryFailure` (4xx, lost connection) or :class:`PermanentFailure` (5xx).
:mod:`digest.send` keeps the send ledger on top of it and re-exports these names.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from calls.config import Config, ConfigError
from calls.urls import safe_url
from digest.subscribers import normalise_address

SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
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
            site_url=config.site.base_url,
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
