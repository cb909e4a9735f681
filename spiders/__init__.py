"""How calls get in: one module per source, plus the generic configurable spiders.

Spiders only fetch and parse; they yield :class:`calls.schema.Call` items and
nothing else. Everything after that happens in ``pipelines/``.
"""
