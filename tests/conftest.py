"""Shared fixtures: fixture trees, the replay server, temporary configs and stores."""

from __future__ import annotations

import json
from pathlib import Path

import frozen_clock
import pytest
from scrapy.http import Request, TextResponse

from calls.config import load_config
from calls.store import Store
from digest.capture import expected_value
from digest.replay import Exchange, ReplayServer, load_tree

pytest_plugins = ["browser"]  # headless Chromium fixtures (tests/browser.py)
FIXTURES = Path(__file__).parent / "fixtures"
SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def pytest_addoption(parser):
    parser.addoption("--frozen-now", default=None, metavar="INSTANT",
                     help="ISO 8601 instant with offset (or 'system') the run's clock starts at "
                          f"(default {frozen_clock.DEFAULT_NOW.isoformat()}; see tests/frozen_clock.py)")


def pytest_configure(config):
    frozen_clock.start(frozen_clock.parse(config.getoption("--frozen-now")))


def pytest_unconfigure(config):
    frozen_clock.stop()


def pytest_report_header(config):
    return f"frozen clock: started at {frozen_clock.NOW.isoformat()} ({frozen_clock.NOW:%A})"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def samples() -> Path:
    """``../shared/samples`` beside the clone; the real-sample tier is skipped without it."""
    if not SHARED_SAMPLES.is_dir():
        pytest.skip("../shared/samples is not present")
    return SHARED_SAMPLES


@pytest.fixture
def replay():
    """Start a :class:`ReplayServer` over fixture trees: ``server = replay(FIXTURES / "eu-ftp/mirror")``."""
    servers: list[ReplayServer] = []

    def start(*trees, exchanges=None) -> ReplayServer:
        server = ReplayServer(*trees, exchanges=exchanges).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A temporary folder as the working directory, with no config found by accident."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GRANTDIGEST_CONFIG", raising=False)
    monkeypatch.delenv("GRANTDIGEST_MIRROR", raising=False)
    monkeypatch.delenv("GRANTDIGEST_DATABASE_URL", raising=False)
    return tmp_path


def response_for(exchange: Exchange, url: str | None = None) -> TextResponse:
    """A Scrapy response built from a recorded exchange, as the spider would receive it."""
    url = url or f"https://{exchange.host}{exchange.path}"
    return TextResponse(url=url, status=exchange.status, headers=exchange.headers, body=exchange.body,
                        encoding="utf-8", request=Request(url))


def drive(spider, start_requests, tree: Path) -> list:
    """Follow a spider's requests through a fixture tree without a network; returns the items.

    Parse code tested directly (STYLE §2); the real downloader is exercised by
    the crawl tests.
    """
    from digest.replay import ReplayServer

    server = ReplayServer(tree)  # used for matching only, never started
    items, queue = [], list(start_requests)
    while queue:
        request = queue.pop(0)
        target = request.url.split("://", 1)[1]
        found = server.find(request.method, "/" + target, request.body)
        if found is None or found.status >= 400:
            if request.errback is None:
                continue
            failure = _Failure(request)
            results = request.errback(failure)
        else:
            response = TextResponse(url=request.url, status=found.status, headers=found.headers, body=found.body,
                                    encoding="utf-8", request=request)
            results = (request.callback or spider.parse)(response, **request.cb_kwargs)
        for result in results or []:
            (queue if isinstance(result, Request) else items).append(result)
    return items


class _Failure:
    def __init__(self, request):
        self.request = request
        self.value = "HTTP 404 (recorded)"


def start_requests(spider) -> list:
    """The requests of a spider's ``async def start()``."""
    import asyncio

    async def collect():
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def spider_for(slug: str, config_path=None):
    """An instance of the spider crawling ``slug`` (code or config-only), bound to its source config."""
    from scrapy.settings import Settings

    from spiders.loader import SourceSpiderLoader

    settings = Settings()
    settings.setmodule("spiders.settings")
    settings.set("GRANTDIGEST_CONFIG", str(config_path) if config_path else None)
    cls = SourceSpiderLoader(settings).load(slug)
    return cls.for_source(load_config(config_path).source(slug))


def crawl_offline(slug: str, config_path=None) -> list:
    """Items of ``slug`` parsed from ``tests/fixtures/<slug>/mirror`` without a network (see :func:`drive`)."""
    spider = spider_for(slug, config_path)
    return drive(spider, start_requests(spider), FIXTURES / slug / "mirror")


def field_value(call, field: str):
    """A call's field as ``expected.json`` states it (one rule with ``grantdigest capture``'s draft)."""
    return expected_value(call, field)


def load_expected(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


__all__ = [
    "FIXTURES", "crawl_offline", "drive", "field_value", "load_config", "load_expected", "load_tree",
    "response_for", "spider_for", "start_requests", "Store",
]
