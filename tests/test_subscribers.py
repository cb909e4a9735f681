"""The subscribers file: strict validation with line numbers, defaults, themes; unsubscribe tokens and suppression."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from calls.regions import load_regions
from digest.subscribers import (
    AddressError,
    Subscriber,
    SubscriberError,
    find_by_token,
    load_subscribers,
    load_suppressed,
    normalise_address,
    suppress,
    unsubscribe_link,
    unsubscribe_token,
)

REGIONS = load_regions()
SECRET = "s3cret-for-tests-only-0123456789"


def write(tmp_path, text: str, name: str = "subscribers.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file(tmp_path):
    path = write(tmp_path, (
        "# readers of the digest\n"
        "email,region,language,themes,name\n"
        "olena@lviv.example.ua,lviv,uk,energy-efficiency; tourism-culture,Олена Коваль\n"
        "\n"
        "John@Lviv.Example.UA,lviv,en,,\n"
        "milica@novisad.example.rs,vojvodina,sr-Cyrl,,Милица\n"
        "marko@novisad.example.rs,vojvodina,,agriculture-rural health,\n"
        "ana@x.example.rs,vojvodina,sr-latn-rs,,\n"
        "ivan@приклад.укр,volyn,uk-UA,,\n"
    ))
    subs = load_subscribers(path, REGIONS)
    assert [s.email for s in subs] == ["olena@lviv.example.ua", "John@lviv.example.ua", "milica@novisad.example.rs",
                                       "marko@novisad.example.rs", "ana@x.example.rs", "ivan@xn--80aikifvh.xn--j1amh"]
    olena, john, milica, marko, ana, ivan = subs
    assert olena == Subscriber("olena@lviv.example.ua", "lviv", "uk", ("energy-efficiency", "tourism-culture"),
                               "Олена Коваль", line=3)
    assert john.key == "john@lviv.example.ua" and john.language == "en" and john.name is None and john.line == 5
    assert milica.language == "sr-Cyrl" and milica.name == "Милица"
    assert marko.language == "sr-Latn"  # the region's first digest language
    assert marko.themes == ("agriculture-rural", "health")
    assert ana.language == "sr-Latn" and ivan.language == "uk"  # aliases of the UI languages


def test_excel_bom_and_column_order(tmp_path):
    path = tmp_path / "subscribers.csv"
    path.write_bytes("\ufeffregion,email\r\nlviv,a@example.org\r\n".encode())
    (only,) = load_subscribers(path, REGIONS)
    assert (only.email, only.region, only.language, only.themes) == ("a@example.org", "lviv", "uk", ())


def test_every_bad_row_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, (
        "email,region,language,themes\n"
        "ok@example.org,lviv,uk,\n"
        "not-an-address,lviv,uk,\n"
        "x@example.org,lvov,uk,\n"
        "y@example.org,vojvodina,uk,\n"
        "z@example.org,lviv,de,\n"
        "w@example.org,lviv,uk,energy-efficiency mountain-areas\n"
        "OK@example.org,lviv,en,\n"
        "v@example.org,lviv,uk,,extra\n"
        ",lviv,uk,\n"
    ))
    with pytest.raises(SubscriberError) as caught:
        load_subscribers(path, REGIONS)
    problems = caught.value.problems
    assert problems == [
        f"{path}:3: not an email address: 'not-an-address'",
        f"{path}:4: unknown region 'lvov'; known: {', '.join(sorted(REGIONS))}",
        f"{path}:5: language 'uk' is not a digest language of vojvodina (sr-Latn, sr-Cyrl, en)",
        f"{path}:6: language 'de' is not a digest language of lviv (uk, en)",
        f"{path}:7: unknown theme(s) mountain-areas for lviv; its themes: "
        + ", ".join(sorted(t.id for t in REGIONS["lviv"].themes)),
        f"{path}:8: OK@example.org is already subscribed to lviv on line 2",
        f"{path}:9: 5 cells, the header has 4",
        f"{path}:10: email is empty",
    ]
    assert str(caught.value).startswith(f"{path}: 8 problem(s):\n")


@pytest.mark.parametrize(("text", "expected"), [
    ("address,region\na@example.org,lviv\n", "header must name the columns"),
    ("email,language\na@example.org,uk\n", "header must name the columns"),
    ("# only a comment\n", "no header line"),
    ('email,region\n"a@example.org,lviv\n', "not valid CSV"),
])
def test_bad_header_or_csv(tmp_path, text, expected):
    with pytest.raises(SubscriberError, match=expected):
        load_subscribers(write(tmp_path, text), REGIONS)


def test_missing_or_undecodable_file(tmp_path):
    with pytest.raises(SubscriberError, match="file not found"):
        load_subscribers(tmp_path / "nope.csv", REGIONS)
    path = tmp_path / "latin1.csv"
    path.write_bytes("email,region,name\na@example.org,lviv,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(SubscriberError, match="not UTF-8"):
        load_subscribers(path, REGIONS)


@pytest.mark.parametrize("bad", ["a@b", "a@@b.org", "a b@c.org", "ї@x.ua", "a@-x.org", "a@x.123", ".a@x.org",
                                 "a@x_y.org"])
def test_addresses_refused(bad):
    with pytest.raises(AddressError):
        normalise_address(bad)


def test_addresses_normalised():
    assert normalise_address("  Olena.K+digest@Lviv.Example.UA ") == "Olena.K+digest@lviv.example.ua"
    assert normalise_address("ivan@приклад.укр") == "ivan@xn--80aikifvh.xn--j1amh"


# -- unsubscribe ------------------------------------------------------------------------------

def test_tokens_are_per_address_case_blind_and_keyed_by_the_secret():
    token = unsubscribe_token(SECRET, "olena@lviv.example.ua")
    assert token == unsubscribe_token(SECRET, "Olena@Lviv.Example.UA ")
    assert token != unsubscribe_token(SECRET, "ivan@lviv.example.ua")
    assert token != unsubscribe_token(SECRET + "x", "olena@lviv.example.ua")
    assert len(token) == 43 and "=" not in token and "olena" not in token


def test_unsubscribe_link_keeps_the_query():
    link = unsubscribe_link("https://grants.example.gov/unsubscribe?list=digest&token=old", "T0k-en_")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "grants.example.gov", "/unsubscribe")
    assert parse_qs(parts.query) == {"list": ["digest"], "token": ["T0k-en_"]}
    assert unsubscribe_link("https://x.example/u", "abc") == "https://x.example/u?token=abc"


def test_find_by_token():
    subs = [Subscriber("a@example.org", "lviv", "uk"), Subscriber("b@example.org", "vojvodina", "en")]
    assert find_by_token(subs, SECRET, unsubscribe_token(SECRET, "B@example.org")) is subs[1]
    assert find_by_token(subs, SECRET, unsubscribe_token("another-secret-0123456", "b@example.org")) is None
    assert find_by_token(subs, SECRET, "") is None


def test_suppression_list_appends_once(tmp_path):
    path = tmp_path / "var" / "unsubscribed.txt"
    assert load_suppressed(path) == set()
    assert suppress(path, "Olena@Lviv.Example.UA", reason="token") is True
    assert suppress(path, "olena@lviv.example.ua", reason="by hand") is False
    assert suppress(path, "ivan@example.org", reason="by\nhand") is True
    assert load_suppressed(path) == {"olena@lviv.example.ua", "ivan@example.org"}
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#") and len(lines) == 3
    assert lines[1].startswith("Olena@lviv.example.ua  # ") and lines[2].endswith(" by hand")
    with pytest.raises(AddressError):
        suppress(path, "nonsense", reason="x")
