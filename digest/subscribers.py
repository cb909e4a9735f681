"""Who gets the digest: the subscribers file, the suppression list, per-recipient unsubscribe tokens (docs/email.md).

The subscribers file is CSV (UTF-8, a spreadsheet can write it), path from ``[email] subscribers``
relative to the config file. Lines starting with ``#`` are comments; the first other line is the
header. Columns:

- ``email`` (required): the address; the domain may be internationalised (sent as IDNA),
  the local part must be ASCII;
- ``region`` (required): a configured region id (``lviv``, ``vojvodina``…);
- ``language`` (optional): BCP 47 tag among the region's digest languages; empty means the
  region's first digest language;
- ``themes`` (optional): the region's priority theme ids, separated by ``;`` or spaces; the
  reader then gets only the calls classified under one of them;
- ``name`` (optional): shown in the ``To`` header.

Validation is strict: :func:`load_subscribers` reports every bad row with its line number and
raises, so a file with a mistake sends nothing until it is fixed.

Unsubscribing: every message links ``[email] unsubscribe_url?token=T`` where ``T`` is an HMAC of
the lower-cased address with a secret from the environment (:func:`unsubscribe_token`). The
department's unsubscribe page (or a person) runs ``grantdigest unsubscribe --token T``, which finds
the subscriber by token and appends the address to the suppression list
(``[email] suppression``, default ``DATA_DIR/unsubscribed.txt``); suppressed addresses are never
sent to, whatever the subscribers file says.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from calls.regions import RegionProfile
from digest.i18n import UnknownLanguage, language_tag

COLUMNS = ("email", "region", "language", "themes", "name")
REQUIRED = ("email", "region")
MIN_SECRET_LENGTH = 16

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL = re.compile(rf"{_ATOM}(\.{_ATOM})*")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_THEME_SPLIT = re.compile(r"[;,\s]+")


class SubscriberError(Exception):
    """The subscribers file cannot be used; ``problems`` lists every bad line (``path:line: what``)."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s):\n" + "\n".join(problems))


class AddressError(ValueError):
    """Not an email address the digest can be sent to."""


@dataclass(frozen=True)
class Subscriber:
    """One reader of one region's digest."""

    email: str
    """The address as it goes on the envelope (domain in IDNA/ASCII form)."""
    region: str
    language: str
    """BCP 47 tag, one of the region's digest languages."""
    themes: tuple[str, ...] = ()
    """Priority theme ids; empty = every call of the digest."""
    name: str | None = None
    line: int = 0
    """Line of the subscribers file (0 when built in code)."""

    @property
    def key(self) -> str:
        """The address lower-cased: what the ledger, the suppression list and tokens compare."""
        return self.email.lower()


def normalise_address(value: str) -> str:
    """``value`` as an ASCII ``local@domain`` (IDNA domain), or :class:`AddressError` saying why not."""
    address = value.strip()
    if address.count("@") != 1:
        raise AddressError(f"not an email address: {value!r}")
    local, domain = address.split("@")
    if not local.isascii():
        raise AddressError(f"non-ASCII local part is not supported (needs SMTPUTF8): {value!r}")
    if not _LOCAL.fullmatch(local) or len(local) > 64:
        raise AddressError(f"bad local part in {value!r}")
    try:
        domain = domain.rstrip(".").encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        raise AddressError(f"bad domain in {value!r}") from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise AddressError(f"bad domain in {value!r} (a public domain with a dot is needed)")
    return f"{local}@{domain.lower()}"


def load_subscribers(path: Path, regions: Mapping[str, RegionProfile]) -> list[Subscriber]:
    """Every subscriber of ``path``; :class:`SubscriberError` listing all bad rows when any row is bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SubscriberError(path, [f"{path}: file not found (set [email] subscribers)"]) from None
    except UnicodeDecodeError as exc:
        raise SubscriberError(path, [f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})"]) from None
    problems: list[str] = []
    subscribers: list[Subscriber] = []
    seen: dict[tuple[str, str], int] = {}
    header: list[str] | None = None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                unknown = [c for c in header if c not in COLUMNS]
                missing = [c for c in REQUIRED if c not in header]
                if unknown or missing or len(set(header)) != len(header):
                    problems.append(f"{path}:{line}: header must name the columns {', '.join(COLUMNS)} "
                                    f"(email and region required, each once); got {', '.join(header)}")
                    break
                continue
            if len(row) > len(header):
                problems.append(f"{path}:{line}: {len(row)} cells, the header has {len(header)}")
                continue
            fields = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
            try:
                subscriber = _subscriber(fields, regions, line)
            except ValueError as exc:
                problems.append(f"{path}:{line}: {exc}")
                continue
            duplicate = seen.setdefault((subscriber.key, subscriber.region), line)
            if duplicate != line:
                problems.append(f"{path}:{line}: {subscriber.email} is already subscribed to {subscriber.region} "
                                f"on line {duplicate}")
                continue
            subscribers.append(subscriber)
    except csv.Error as exc:
        problems.append(f"{path}:{reader.line_num}: not valid CSV: {exc}")
    if header is None and not problems:
        problems.append(f"{path}: no header line (email,region,language,themes,name)")
    if problems:
        raise SubscriberError(path, problems)
    return subscribers


def _subscriber(fields: dict[str, str], regions: Mapping[str, RegionProfile], line: int) -> Subscriber:
    if not fields.get("email"):
        raise ValueError("email is empty")
    try:
        email = normalise_address(fields["email"])
    except AddressError as exc:
        raise ValueError(str(exc)) from None
    region = regions.get(fields.get("region", ""))
    if region is None:
        raise ValueError(f"unknown region {fields.get('region', '')!r}; known: {', '.join(sorted(regions))}")
    wanted = fields.get("language", "")
    if not wanted:
        language = region.digest_languages[0]
    else:
        try:
            language = language_tag(wanted)
        except UnknownLanguage:
            language = None
        if language not in region.digest_languages:
            raise ValueError(f"language {wanted!r} is not a digest language of {region.id} "
                             f"({', '.join(region.digest_languages)})")
    themes = tuple(dict.fromkeys(t for t in _THEME_SPLIT.split(fields.get("themes", "")) if t))
    known = {t.id for t in region.themes}
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise ValueError(
            f"unknown theme(s) {', '.join(unknown)} for {region.id}; its themes: {', '.join(sorted(known))}"
        )
    return Subscriber(email=email, region=region.id, language=language, themes=themes,
                      name=fields.get("name") or None, line=line)


# -- unsubscribe -------------------------------------------------------------------------------

def unsubscribe_token(secret: str, address: str) -> str:
    """The recipient's unsubscribe token: HMAC-SHA256 of the lower-cased address, base64url without padding."""
    digest = hmac.new(
        secret.encode("utf-8"), b"unsubscribe\n" + address.strip().lower().encode("utf-8"), hashlib.sha256
    )
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def unsubscribe_link(base_url: str, token: str) -> str:
    """``base_url`` with ``token=<token>`` added to its query (existing parameters kept)."""
    parts = urlsplit(base_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("token", token)])))


def find_by_token(subscribers: Iterable[Subscriber], secret: str, token: str) -> Subscriber | None:
    """The subscriber whose address ``token`` was made from (constant-time comparisons), or None."""
    found = None
    for subscriber in subscribers:
        if hmac.compare_digest(unsubscribe_token(secret, subscriber.email), token.strip()):
            found = found or subscriber
    return found


def load_suppressed(path: Path) -> set[str]:
    """Lower-cased addresses of the suppression list (one a line; ``#`` starts a comment); empty when absent."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return set()
    return {line.split("#", 1)[0].strip().lower() for line in text.splitlines()} - {""}


def suppress(path: Path, address: str, *, reason: str, at: datetime | None = None) -> bool:
    """Append ``address`` to the suppression list; False when it was already there."""
    address = normalise_address(address)
    path = Path(path)
    if address.lower() in load_suppressed(path):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    reason = " ".join(reason.split())
    with path.open("a", encoding="utf-8") as out:
        if path.stat().st_size == 0:
            out.write("# Addresses that unsubscribed; grantdigest never sends to them.\n")
        out.write(f"{address}  # {stamp} {reason}\n")
    return True
