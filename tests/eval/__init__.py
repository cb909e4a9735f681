"""The classifier's hand-labelled evaluation set and its scorer (``python -m eval.evaluate`` from ``tests/``)."""
