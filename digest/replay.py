"""A local HTTP server that replays recorded responses as a mirror (DESIGN §4).

Point the ``mirror`` setting at it and every spider crawls the recorded
snapshot instead of the live sites. Tests use it, and so does ``grantdigest
demo``. It listens on 127.0.0.1 only, on a random free port.

A fixture tree holds *exchanges*: a ``<name>.meta.json`` file describing the
request it answers and the response, beside the body file ``<name>``::

    {"url": "https://api.tech.ec.europa.eu/search-api/prod/rest/search?pageNumber=1",
     "method": "POST", "status": 200,
     "headers": {"Content-Type": "application/json"},
     "body_contains": ["\\"status\\""],
     "delay": 0, "abort": false, "truncate": false}

Only ``url`` is required. A request matches an exchange when method, host and
path are equal, every query parameter named in ``url`` has the same value, and
every ``body_contains`` string occurs in the request body; the most specific
match wins. ``delay`` sleeps before answering (timeouts), ``abort`` closes the
connection without a response, ``truncate`` promises more bytes than it sends.
Unmatched requests get 404.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Exchange:
    """One recorded response and the requests it answers."""

    method: str
    host: str
    path: str
    query: dict[str, str]
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body_contains: tuple[str, ...] = ()
    delay: float = 0.0
    abort: bool = False
    truncate: bool = False

    @property
    def specificity(self) -> int:
        return len(self.query) + len(self.body_contains)

    def matches(self, method: str, host: str, path: str, query: dict[str, str], body: bytes) -> bool:
        if (method, host, path) != (self.method, self.host, self.path):
            return False
        if any(query.get(k) != v for k, v in self.query.items()):
            return False
        text = body.decode("utf-8", "replace")
        return all(s in text for s in self.body_contains)


@dataclass(frozen=True)
class Received:
    """A request the server saw, for assertions."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def exchange(url: str, body: bytes | str = b"", *, method: str = "GET", status: int = 200,
             headers: dict[str, str] | None = None, body_contains: tuple[str, ...] = (),
             delay: float = 0.0, abort: bool = False, truncate: bool = False) -> Exchange:
    """An :class:`Exchange` answering requests for the original ``url``."""
    parts = urlsplit(url)
    return Exchange(
        method=method.upper(), host=parts.netloc, path=parts.path or "/", query=dict(parse_qsl(parts.query)),
        body=body.encode("utf-8") if isinstance(body, str) else body, status=status, headers=dict(headers or {}),
        body_contains=tuple(body_contains), delay=delay, abort=abort, truncate=truncate,
    )


def load_tree(root: Path) -> list[Exchange]:
    """Every exchange of a fixture tree (``*.meta.json`` beside its body file)."""
    out = []
    for meta_path in sorted(Path(root).rglob("*.meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        body_path = meta_path.with_name(meta_path.name.removesuffix(".meta.json"))
        body = body_path.read_bytes() if body_path.exists() else b""
        out.append(
            exchange(
                meta["url"], body, method=meta.get("method", "GET"), status=meta.get("status", 200),
                headers=meta.get("headers"), body_contains=tuple(meta.get("body_contains", ())),
                delay=meta.get("delay", 0.0), abort=meta.get("abort", False), truncate=meta.get("truncate", False),
            )
        )
    return out


class _QuietServer(ThreadingHTTPServer):
    """A client that gives up (a timeout test) is normal here, not an error to print."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class ReplayServer:
    """Serves exchanges on ``http://127.0.0.1:<port>``; use as a context manager."""

    def __init__(self, *trees: Path | str, exchanges: list[Exchange] | None = None):
        self.exchanges: list[Exchange] = [e for tree in trees for e in load_tree(Path(tree))]
        self.exchanges += exchanges or []
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, *exchanges: Exchange) -> None:
        """Add exchanges; later ones win over earlier ones of equal specificity."""
        with self._lock:
            self.exchanges.extend(exchanges)

    def replace(self, *exchanges: Exchange) -> None:
        """Drop exchanges answering the same method+URL, then add these."""
        with self._lock:
            keys = {(e.method, e.host, e.path, tuple(sorted(e.query.items()))) for e in exchanges}
            self.exchanges = [
                e for e in self.exchanges if (e.method, e.host, e.path, tuple(sorted(e.query.items()))) not in keys
            ]
            self.exchanges.extend(exchanges)

    def find(self, method: str, target: str, body: bytes) -> Exchange | None:
        parts = urlsplit(target)
        host, _, path = parts.path.lstrip("/").partition("/")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            candidates = [e for e in self.exchanges if e.matches(method, host, "/" + path, query, body)]
        if not candidates:
            return None
        best = max(e.specificity for e in candidates)
        return [e for e in candidates if e.specificity == best][-1]

    def start(self) -> ReplayServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - quiet test output
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.received.append(Received(self.command, self.path, dict(self.headers), body))
                found = server.find(self.command, self.path, body)
                if found is None:
                    self._reply(404, {"Content-Type": "text/plain"}, b"no recorded response\n")
                    return
                if found.delay:
                    time.sleep(found.delay)
                if found.abort:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                etag = found.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self._reply(304, {"ETag": etag}, b"")
                    return
                if found.truncate:
                    self.send_response(found.status)
                    for k, v in found.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(found.body) + 1000))
                    self.end_headers()
                    self.wfile.write(found.body[: len(found.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._reply(found.status, found.headers, found.body)

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _serve

        self._httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replay-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
