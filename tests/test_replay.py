"""The replay server the tests and the demo use as a mirror."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from digest.replay import exchange, load_tree


def fetch(url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_get_by_host_path_and_query(replay):
    server = replay(exchanges=[
        exchange("https://site.org/news/?page=2", "page two",
                 headers={"Content-Type": "text/html; charset=windows-1251"}),
        exchange("https://site.org/news/", "page one"),
    ])
    assert fetch(f"{server.url}/site.org/news/")[2] == b"page one"
    status, headers, body = fetch(f"{server.url}/site.org/news/?page=2")
    assert (status, body) == (200, b"page two")
    assert headers["Content-Type"] == "text/html; charset=windows-1251"
    assert fetch(f"{server.url}/site.org/other")[0] == 404


def test_post_matched_by_body(replay):
    server = replay(exchanges=[
        exchange("https://api.org/search", '{"page":1}', method="POST", body_contains=('"startRecordNum": 0',)),
        exchange("https://api.org/search", '{"page":2}', method="POST", body_contains=('"startRecordNum": 25',)),
    ])
    assert fetch(f"{server.url}/api.org/search", data=json.dumps({"startRecordNum": 25}).encode())[2] == b'{"page":2}'
    assert fetch(f"{server.url}/api.org/search", data=json.dumps({"startRecordNum": 0}).encode())[2] == b'{"page":1}'
    assert fetch(f"{server.url}/api.org/search")[0] == 404  # a GET is not the recorded POST
    assert server.received[0].method == "POST" and b"startRecordNum" in server.received[0].body


def test_status_codes_and_etag(replay):
    server = replay(exchanges=[
        exchange("https://s.org/down", "oops", status=503),
        exchange("https://s.org/feed", "<rss/>", headers={"ETag": '"v1"'}),
    ])
    assert fetch(f"{server.url}/s.org/down")[0] == 503
    assert fetch(f"{server.url}/s.org/feed", headers={"If-None-Match": '"v1"'})[0] == 304
    assert fetch(f"{server.url}/s.org/feed", headers={"If-None-Match": '"v0"'})[0] == 200


def test_slow_broken_and_truncated(replay):
    server = replay(exchanges=[
        exchange("https://s.org/slow", "late", delay=0.5),
        exchange("https://s.org/gone", abort=True),
        exchange("https://s.org/half", "0123456789" * 10, truncate=True),
    ])
    started = time.monotonic()
    assert fetch(f"{server.url}/s.org/slow")[2] == b"late"
    assert time.monotonic() - started >= 0.5
    with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
        fetch(f"{server.url}/s.org/gone")
    with pytest.raises(Exception, match="IncompleteRead|incomplete|Connection"):
        fetch(f"{server.url}/s.org/half")


def test_tree_loading(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "feed.xml").write_bytes(b"<rss/>")
    (tmp_path / "a" / "feed.xml.meta.json").write_text(json.dumps({"url": "https://x.org/feed?lang=uk",
                                                                   "headers": {"Content-Type": "application/rss+xml"}}))
    (tmp_path / "a" / "gone.meta.json").write_text(json.dumps({"url": "https://x.org/gone", "status": 404}))
    loaded = {e.path: e for e in load_tree(tmp_path)}
    assert loaded["/feed"].body == b"<rss/>" and loaded["/feed"].query == {"lang": "uk"}
    assert loaded["/gone"].status == 404 and loaded["/gone"].body == b""
