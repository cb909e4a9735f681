"""What tests/test_site.py and tests/test_site_builds.py share: the HTML page reader, the build and the snapshot."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from site_fixtures import NOW, REGIONS

from digest import publish

BASE = "https://grants.example.org/"


class Page(HTMLParser):
    """The parts of an HTML page the tests look at."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "link", "br", "img", "input"):
            self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append((self._in[-1] if self._in else "", data))

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def texts(self, tag: str) -> list[str]:
        return [d.strip() for t, d in self.text if t == tag and d.strip()]

    @property
    def all_text(self) -> str:
        return " ".join(d for _, d in self.text)


def parse(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


def build(store, out: Path, now=NOW):
    return publish.build(store, out, base_url=BASE, regions=REGIONS, now=now)


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(out).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()
    }
