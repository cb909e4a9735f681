"""What happens to every call: validate and normalise, merge, track changes, classify, store.

Each pipeline is a small Scrapy item pipeline (``from_crawler``,
``process_item(item)``) that is also usable on plain :class:`calls.schema.Call`
objects outside Scrapy.
"""
