"""The static site (DESIGN §7): this week's digest, all open calls with filters and offline search, a page per
call, per-region pages, the archive of past digests and the sources' status, in uk / sr-Latn / sr-Cyrl / en.

:func:`digest.site.build.build_site` renders it into the staging folder that
:func:`digest.publish.build` swaps into place together with the feeds. The layout
and the HTML hooks are a contract with the browser tests: ``docs/site.md``.
"""
