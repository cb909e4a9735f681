"""Record every exchange of a crawl as a fixture tree in the replay format (``grantdigest capture``).

With the setting ``GRANTDIGEST_RECORD`` naming a folder, each response the spiders receive is written
there as a body file plus ``<name>.meta.json`` (url, method, status, headers; ``body_contains`` for a
POST), exactly what :mod:`digest.replay` serves back, so a live capture replays offline. Redirects are
recorded too, each as the 3xx that led to the page. Bodies are kept decompressed, cookies are not kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from spiders.mirror import original_redirects, original_url

SETTING = "GRANTDIGEST_RECORD"
DROPPED_HEADERS = frozenset({
    "content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive", "set-cookie", "date",
})
"""Headers that describe one transfer, not the page (or that would carry a session)."""
EXTENSIONS = (("json", ".json"), ("xml", ".xml"), ("rss", ".xml"), ("atom", ".xml"), ("html", ".html"),
              ("pdf", ".pdf"), ("text/plain", ".txt"), ("csv", ".csv"))


def file_name(url: str, method: str, body: bytes, content_type: str) -> str:
    """A readable, unique file name for one exchange: ``host/path-slug-<hash>.ext``."""
    parts = urlsplit(url)
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", parts.path.strip("/"))[:80].strip("-.") or "index"
    digest = hashlib.sha256(f"{method} {url}".encode() + b"\0" + body).hexdigest()[:10]
    ext = next((e for marker, e in EXTENSIONS if marker in content_type.lower()), ".bin")
    return f"{parts.hostname or 'host'}/{slug}-{digest}{ext}"


def write_exchange(folder: Path, *, url: str, method: str, status: int, headers: dict[str, str],
                   body: bytes, request_body: bytes = b"") -> Path:
    """Write one exchange (body file and its ``.meta.json``) under ``folder``; the body file's path."""
    kept = {k: v for k, v in headers.items() if k.lower() not in DROPPED_HEADERS}
    path = folder / file_name(url, method, request_body, kept.get("Content-Type", ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    meta: dict = {"url": url, "method": method, "status": status, "headers": kept}
    if method != "GET" and request_body:
        meta["body_contains"] = [request_body.decode("utf-8", "replace")]
    path.with_name(path.name + ".meta.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path


def _headers(response) -> dict[str, str]:
    return {k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()}


class ExchangeRecorder:
    """Downloader middleware inside the decompression middleware: writes every response it passes."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def from_crawler(cls, crawler):
        folder = crawler.settings.get(SETTING)
        if not folder:
            raise NotConfigured
        return cls(Path(folder))

    def process_response(self, request, response):
        url = original_url(request)
        # The hops that led here: each one answered with a redirect to the next.
        hops = [*original_redirects(request), url]
        for here, there in zip(hops, hops[1:], strict=False):
            write_exchange(self.folder, url=here, method="GET", status=302, headers={"Location": there}, body=b"")
        write_exchange(self.folder, url=url, method=request.method, status=response.status,
                       headers=_headers(response), body=response.body, request_body=request.body)
        return response
