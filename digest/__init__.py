"""What goes out: selection, rendering (email, site, feeds), publishing, scheduling and the CLI.

The digest reads the store; it never imports the spiders. Crawls run in a
child process (``python -m pipelines.run``).
"""
