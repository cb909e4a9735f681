"""The mirror middleware rewrites requests and hands responses back under the original URL."""

from __future__ import annotations

from scrapy import Request
from scrapy.http import HtmlResponse

from spiders.mirror import MirrorMiddleware, from_mirror, to_mirror

MIRROR = "http://127.0.0.1:8123"


def test_url_mapping_round_trip():
    url = "https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&pageNumber=2"
    mirrored = to_mirror(MIRROR, url)
    assert mirrored == "http://127.0.0.1:8123/api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&pageNumber=2"
    assert from_mirror(MIRROR, mirrored, "https") == url
    assert to_mirror(MIRROR, "http://pl-ua.eu") == "http://127.0.0.1:8123/pl-ua.eu/"


def test_request_rewritten_and_response_restored():
    mw = MirrorMiddleware(MIRROR + "/")
    original = Request("https://gurt.org.ua/news/grants/?page=2", method="POST", body=b"x", cb_kwargs={"page": 2})
    rewritten = mw.process_request(original)
    assert rewritten.url == f"{MIRROR}/gurt.org.ua/news/grants/?page=2"
    assert (rewritten.method, rewritten.body, rewritten.cb_kwargs) == ("POST", b"x", {"page": 2})
    assert mw.process_request(rewritten) is None  # already mirrored: passes
    response = HtmlResponse(url=rewritten.url, body=b"<html></html>", request=rewritten)
    restored = mw.process_response(rewritten, response)
    assert restored.url == "https://gurt.org.ua/news/grants/?page=2"


def test_redirect_inside_the_mirror_maps_back():
    mw = MirrorMiddleware(MIRROR)
    rewritten = mw.process_request(Request("https://pl-ua.eu/en/news"))
    redirected = rewritten.replace(url=f"{MIRROR}/pl-ua.eu/en/news/")
    response = HtmlResponse(url=redirected.url, body=b"", request=redirected)
    assert mw.process_response(redirected, response).url == "https://pl-ua.eu/en/news/"


def test_no_mirror_no_change():
    mw = MirrorMiddleware(None)
    request = Request("https://pl-ua.eu/en/")
    assert mw.process_request(request) is None
    response = HtmlResponse(url=request.url, body=b"", request=request)
    assert mw.process_response(request, response) is response
