"""Scrapy settings: the one base module (STYLE §8).

Values that depend on the deployment (database, mirror, politeness knobs) come
from ``grantdigest.toml`` through :func:`spiders.crawl.crawl_settings`; this
module holds the defaults and the component wiring only, so ``scrapy crawl``
from the repository root behaves like ``grantdigest crawl``.
"""

BOT_NAME = "grantdigest"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
SPIDER_LOADER_CLASS = "spiders.loader.SourceSpiderLoader"

# Path of grantdigest.toml; None = GRANTDIGEST_CONFIG or ./grantdigest.toml.
GRANTDIGEST_CONFIG = None
# Overrides the config file's `mirror` when set (see spiders.mirror).
MIRROR = None
# A folder to record every exchange into, in the replay format (grantdigest capture; spiders.recorder).
GRANTDIGEST_RECORD = None

USER_AGENT = "grantdigest/0.1 (+https://github.com/grantdigest/grantdigest; grant digest for regional administrations)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"
HTTPCACHE_IGNORE_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# A page or feed is never this big; a body past it (or past it once decompressed) is refused and named.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Seconds a crawl waits for a 429/503's Retry-After before its retry; a longer wait is not retried.
GRANTDIGEST_RETRY_AFTER_MAX = 60

DOWNLOADER_MIDDLEWARES = {
    # First of all: http(s) only, no redirect to another host unless the source allows it (spiders.safety).
    "spiders.safety.OnlyTheWeb": 5,
    # Outermost: sees each request's final outcome, after retries and redirects (spiders.causes).
    "spiders.causes.FailureCauses": 50,
    # Just inside the redirect middleware (600), which drops a request past REDIRECT_MAX_TIMES unseen.
    "spiders.causes.RedirectLoops": 610,
    # Outside the retry middleware (550): a Retry-After is waited for, or the retry given up.
    "spiders.safety.RetryAfter": 560,
    # Scrapy's decompression, with a decompression bomb named as a cause.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "spiders.safety.BoundedDecompression": 590,
    # Inside decompression: each text response gets the charset it really uses (spiders.encoding).
    "spiders.encoding.Charsets": 585,
    # Inside decompression (590), so captures keep readable bodies; off unless GRANTDIGEST_RECORD is set.
    "spiders.recorder.ExchangeRecorder": 580,
    # After robots.txt (100) so robots rules are checked on the original URL.
    "spiders.mirror.MirrorMiddleware": 120,
}

SPIDER_MIDDLEWARES = {
    "spiders.causes.FormatCauses": 50,
}

ITEM_PIPELINES = {
    "pipelines.normalise.NormalisePipeline": 100,
    "pipelines.store.StorePipeline": 900,
}

EXTENSIONS = {
    "pipelines.runs.RunRecorder": 500,
}

# No listening sockets from a crawl job.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
