"""The SMTP connection of the digest sender -- STARTTLS and TLS, AUTH, the rate limit, reconnecting, the server's
answers -- against a real SMTP server on 127.0.0.1 (aiosmtpd, tests/send_harness.py), and the send ledger."""


from __future__ import annotations

import base64
import datetime as dt
import logging
import ssl
import time

import frozen_clock
import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult, LoginPassword
from send_harness import (
    crawled_fixture,  # noqa: F401 -- the fixtures "crawled", "mailroom" and "smtp", requested by name
    free_port,
    mailroom_fixture,  # noqa: F401
    rows,
    smtp_fixture,  # noqa: F401
)
from test_select import IN_WEEK_49

from calls.store import Store, sends_table
from digest.send import (
    ConnectionFailure,
    Ledger,
    Mailer,
    PermanentFailure,
    SendError,
    TemporaryFailure,
    send_digests,
)

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
def test_tls_and_auth_with_the_password_from_the_environment(smtp, mailroom, tmp_path, monkeypatch, security, caplog,
                                                            capfd):
    caplog.set_level(logging.DEBUG)  # every logger, every level: the password must be in none of it
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
    with pytest.raises(SendError, match=r"\$DIGEST_SMTP_PASSWORD") as missing:
        send_digests(room.config, other, now=IN_WEEK_49)
    printed = capfd.readouterr()
    said = [caplog.text, printed.out, printed.err, refused.aborted, str(missing.value),
            *(r.error or "" for r in rows(other).values()), *(r.error or "" for r in rows(store).values())]
    for secret in ("pa55-word", base64.b64encode(b"\0digest\0pa55-word").decode(), "cGE1NS13b3Jk"):
        assert not any(secret in text for text in said), secret  # never logged, printed or stored
    assert any("sending stopped" in r.getMessage() for r in caplog.records)  # the logs were captured at all
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
