"""Catalogue entries (TOML) of the made-up sources the hostile-input tests crawl, written one way for all.

``feed_entry`` and ``listing_entry`` give a ``[sources.<slug>]`` table for the generic feed and listing
spiders (``fields`` become top-level keys such as ``retries`` and ``timeout``; ``options`` are extra TOML
lines of the options table); ``HEALTHY_FEED`` is the config-only feed crawled beside the broken ones.
"""

from __future__ import annotations

import socket


def _fields(fields: dict) -> str:
    return "".join(f"{key} = {value}\n" for key, value in fields.items())


def feed_entry(slug: str, url: str, *, language: str = "uk", timezone: str = "Europe/Kyiv", **fields) -> str:
    return f"""
[sources.{slug}]
spider = "feed"
language = "{language}"
timezone = "{timezone}"
{_fields(fields)}[sources.{slug}.options]
urls = ["{url}"]
"""


def listing_entry(slug: str, url: str, *, options: str = "", **fields) -> str:
    """A listing of ``div.konkurs`` items linking to detail pages with an ``h1`` and a ``div.tekst``."""
    return f"""
[sources.{slug}]
spider = "listing"
language = "sr-Latn"
timezone = "Europe/Belgrade"
{_fields(fields)}[sources.{slug}.options]
urls = ["{url}"]
item = "div.konkurs"
link = "a::attr(href)"
{options}[sources.{slug}.options.detail]
title = "h1"
body = "div.tekst"
"""


HEALTHY_FEED = feed_entry("hromady-feed", "https://hromady.example.org/category/granty/feed/")
"""The config-only Ukrainian feed (tests/fixtures/config-only) that must keep its calls beside broken sources."""


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (a mirror there refuses every connection)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
