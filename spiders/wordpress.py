"""Generic WordPress REST spider: posts of given categories or a search, via ``/wp-json/wp/v2``.

Example ``grantdigest.toml`` entry::

    [sources.interreg-next-pl-ua]
    spider = "wordpress"
    languages = ["en"]
    timezone = "Europe/Warsaw"
    programme_id = "interreg-next-pl-ua"
    [sources.interreg-next-pl-ua.options]
    base = "https://pl-ua.eu/en"        # the site (with a language prefix where it has one)
    categories = ["calls-for-proposals"] # slugs (resolved through /categories) or numeric ids
    tags = [638]                         # optional: numeric tag ids (a tag's archive, e.g. "ukraine")
    search = ""                          # optional full-text search
    post_type = "posts"                  # or a custom type such as "grants"
    per_page = 20
    max_pages = 5

The API is standard: a JSON list of posts (``id``, ``date_gmt``,
``modified_gmt``, ``link``, ``title.rendered``, ``content.rendered``,
``categories``), pages counted in the ``X-WP-TotalPages`` header; asking past
the last page answers 400 ``rest_post_invalid_page_number`` or ``[]``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from scrapy.http import Response

from spiders.base import SourceFormatError, json_body
from spiders.textcall import PostSpider, plain

FIELDS = "id,date,date_gmt,modified,modified_gmt,slug,link,title,content,excerpt,categories"


class WordPressSpider(PostSpider):
    """Posts from a WordPress site's REST API."""

    name = "wordpress"
    generic = True

    @property
    def api(self) -> str:
        return self.options["base"].rstrip("/") + "/wp-json/wp/v2"

    async def start(self):
        categories = [str(c) for c in self.options.get("categories", [])]
        slugs = [c for c in categories if not c.isdigit()]
        if slugs:
            query = urlencode({"slug": ",".join(slugs), "per_page": 100, "_fields": "id,slug,name"})
            yield self.request(f"{self.api}/categories?{query}", callback=self.parse_categories,
                               cb_kwargs={"ids": [c for c in categories if c.isdigit()], "slugs": slugs})
        else:
            yield self.posts_request(1, categories)

    def parse_categories(self, response: Response, ids: list[str], slugs: list[str]):
        terms = _json_list(response)
        self.category_names = {
            str(t["id"]): t.get("name", t.get("slug", "")) for t in terms if isinstance(t, dict) and "id" in t
        }
        found = {t.get("slug") for t in terms if isinstance(t, dict)}
        missing = [s for s in slugs if s not in found]
        if missing:
            raise SourceFormatError(
                f"categories not found on the site: {', '.join(missing)}", response.url, sorted(found)
            )
        yield self.posts_request(1, ids + list(self.category_names))

    def posts_request(self, page: int, categories: list[str]):
        params = {"per_page": int(self.options.get("per_page", 20)), "page": page, "_fields": FIELDS,
                  "orderby": "date", "order": "desc"}
        if categories:
            params["categories"] = ",".join(categories)
        if tags := self.options.get("tags"):
            params["tags"] = ",".join(_tag_ids(tags))
        if search := self.options.get("search"):
            params["search"] = search
        post_type = self.options.get("post_type", "posts")
        return self.request(f"{self.api}/{post_type}?{urlencode(params)}", callback=self.parse,
                            cb_kwargs={"page": page, "categories": categories})

    def parse(self, response: Response, page: int = 1, categories: list[str] | None = None):
        posts = _json_list(response)
        names = getattr(self, "category_names", {})
        yield from self.each_record(posts, lambda post: self.post_to_call(post, names, response.url), response.url)
        if page == 1:
            total = int(response.headers.get("X-WP-TotalPages", b"1") or 1)
            for next_page in range(2, min(total, int(self.options.get("max_pages", 5))) + 1):
                yield self.posts_request(next_page, categories or [])

    def post_to_call(self, post: dict, category_names: dict[str, str], api_url: str):
        if not isinstance(post, dict) or "id" not in post or "link" not in post:
            raise SourceFormatError("a WordPress post without id or link", api_url, post)
        published_raw = post.get("date_gmt") or None
        updated_raw = post.get("modified_gmt") or None
        return self.post_call(
            native_id=str(post["id"]),
            title=plain(_rendered(post.get("title"))),
            url=post["link"],
            text=plain(_rendered(post.get("content")) or _rendered(post.get("excerpt"))),
            categories=[category_names.get(str(c), "") for c in post.get("categories", [])],
            published_at=_gmt(published_raw),
            published_at_raw=post.get("date") or published_raw,
            updated_at=_gmt(updated_raw),
            updated_at_raw=post.get("modified") or updated_raw,
        )


def _tag_ids(tags: list) -> list[str]:
    """Tag ids as the API takes them; a slug is refused (look its id up at ``/wp-json/wp/v2/tags?slug=``)."""
    ids = [str(t) for t in tags]
    if bad := [t for t in ids if not t.isdigit()]:
        raise ValueError(f"option tags takes numeric tag ids, not {', '.join(bad)}")
    return ids


def _json_list(response: Response) -> list:
    data = json_body(response, "WordPress API")
    if not isinstance(data, list):
        raise SourceFormatError(
            "WordPress API answered with something other than a list", response.url, str(data)[:200]
        )
    return data


def _rendered(value) -> str:
    return value.get("rendered", "") if isinstance(value, dict) else (value or "")


def _gmt(raw: str | None) -> datetime | None:
    """WordPress ``*_gmt`` fields are UTC without an offset (``2026-10-14T09:30:00``)."""
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except ValueError:
        return None
