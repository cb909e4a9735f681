"""Validation and run judgement: invalid items are dropped with a counted reason; outcomes are explained."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from calls.schema import Call
from calls.store import Outcome
from pipelines.normalise import InvalidCall, NormalisePipeline
from pipelines.runs import judge


@pytest.fixture
def pipeline():
    return NormalisePipeline.from_crawler(get_crawler())


def good(**fields) -> Call:
    return Call(uid="s:1", source="s", native_id="1", title="A call", url="https://example.org/1", **fields)


def test_valid_call_passes(pipeline):
    assert pipeline.process_item(good()).uid == "s:1"


def test_dict_items_are_validated_into_calls(pipeline):
    item = pipeline.process_item({"uid": "s:2", "source": "s", "native_id": "2", "title": "T", "url": "https://e.org/2"})
    assert isinstance(item, Call)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (good().model_copy(update={"title": "   "}), "no-title"),
        (good().model_copy(update={"url": "javascript:alert(1)"}), "bad-url"),
        (good().model_copy(update={"url": "/relative/path"}), "bad-url"),
        ({"uid": "s:3", "title": "no source"}, "schema"),
    ],
)
def test_invalid_items_are_dropped_and_counted(pipeline, item, reason):
    with pytest.raises(InvalidCall, match=reason):
        pipeline.process_item(item)
    assert pipeline.stats.get_value("grantdigest/invalid") == 1
    assert pipeline.stats.get_value(f"grantdigest/invalid/{reason}") == 1


@pytest.mark.parametrize(
    ("stats", "reason", "previous", "outcome", "why"),
    [
        ({"item_scraped_count": 5}, "finished", None, Outcome.OK, None),
        ({"item_scraped_count": 5, "grantdigest/errors": 2, "downloader/response_status_count/503": 2}, "finished", 5,
         Outcome.DEGRADED, "HTTP 503"),
        ({"grantdigest/errors": 1, "spider_exceptions/SourceFormatError": 1}, "finished", None, Outcome.FAILED,
         "SourceFormatError"),
        ({}, "finished", 12, Outcome.FAILED, "last successful run found 12"),
        ({}, "finished", None, Outcome.DEGRADED, "no calls found"),
        ({"item_scraped_count": 3}, "shutdown", None, Outcome.FAILED, "ended early: shutdown"),
        ({"item_scraped_count": 2, "grantdigest/invalid": 9}, "finished", None, Outcome.DEGRADED, "9 invalid"),
    ],
)
def test_judge(stats, reason, previous, outcome, why):
    got, explanation = judge(stats, reason, previous)
    assert got == outcome
    if why is None:
        assert explanation is None
    else:
        assert why in explanation
