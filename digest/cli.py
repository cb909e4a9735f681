"""The ``grantdigest`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from calls.config import ENV_DATABASE, ConfigError, load_config
from calls.schema import Status
from calls.store import Outcome, Run, Store
from digest import export as exporting
from digest import probe as probing


class Context:
    """What every subcommand gets: the resolved config and a lazily opened store."""

    def __init__(self, config_path: str | None, mirror: str | None):
        self.config_path = config_path
        self.mirror = mirror
        try:
            self.config = load_config(config_path, mirror=mirror)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.config.database_url)
        return self._store


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", envvar="GRANTDIGEST_CONFIG", type=click.Path(dir_okay=False),
              help="grantdigest.toml to use (default: $GRANTDIGEST_CONFIG, then ./grantdigest.toml).")
@click.option("--mirror", envvar="GRANTDIGEST_MIRROR", metavar="URL",
              help="Fetch every URL from URL/host/path?query instead (offline replay, tests).")
@click.version_option(package_name="grantdigest")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, mirror: str | None) -> None:
    """Find grant calls for your region and publish the weekly digest."""
    ctx.obj = Context(config_path, mirror)


@cli.command()
@click.argument("slugs", nargs=-1)
@click.option("--log-level", default="WARNING", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy's log level.")
@pass_ctx
def crawl(ctx: Context, slugs: tuple[str, ...], log_level: str) -> None:
    """Crawl SLUGS (default: every enabled source) into the store.

    Runs Scrapy in a child process; prints each source's run record.
    """
    code, runs = crawl_and_report(ctx, list(slugs), log_level)
    if code != 0:
        raise SystemExit(code)
    if any(r.outcome == Outcome.FAILED for r in runs):
        raise SystemExit(1)


def crawl_and_report(ctx: Context, slugs: list[str], log_level: str) -> tuple[int, list[Run]]:
    """Crawl ``slugs`` (all enabled when empty), print the run record of every source that ran; exit status and runs."""
    started = datetime.now(UTC)
    code = run_crawl(ctx, slugs, log_level)
    runs = [r for r in ctx.store.last_runs().values() if r.started_at >= started.replace(microsecond=0)]
    print_runs(runs)
    return code, runs


def run_crawl(ctx: Context, slugs: list[str], log_level: str = "WARNING", *, database_url: str | None = None,
              no_cache: bool = False) -> int:
    """Start ``python -m spiders.crawl`` for ``slugs``; its exit status.

    ``database_url`` sends the crawl to another database (probes); ``no_cache``
    bypasses the HTTP cache.
    """
    command = [sys.executable, "-m", "spiders.crawl"]
    if ctx.config.path:
        command += ["--config", str(ctx.config.path)]
    if ctx.mirror or ctx.config.mirror:
        command += ["--mirror", ctx.mirror or ctx.config.mirror]
    command += ["--log-level", log_level]
    if no_cache:
        command.append("--no-cache")
    env = {**os.environ, ENV_DATABASE: database_url} if database_url else None
    return subprocess.run([*command, *slugs], check=False, env=env).returncode


@cli.command(name="export")
@click.option("--format", "fmt", type=click.Choice(exporting.FORMATS), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@click.option("--per-source", is_flag=True,
              help="One record per source page, before merging (default: merged calls with their classification per region).")
@click.option("--source", help="Only calls seen on this source.")
@click.option("--include-withdrawn", is_flag=True, help="Also calls an editor withdrew.")
@pass_ctx
def export_(ctx: Context, fmt: str, output: str | None, per_source: bool, source: str | None, include_withdrawn: bool) -> None:
    """Export every stored call (schema fields; datetimes ISO 8601 with offset).

    By default: the merged calls (one per real-world call, every source page
    in ``provenance``) with their classification for every region.
    """
    if per_source:
        calls = ctx.store.iter_calls(source=source)
        classifications = None
    else:
        calls = (c for c, members in ctx.store.iter_merged() if not source or any(m.startswith(source + ":") for m in members))
        classifications = ctx.store.classifications()
    calls = (c for c in calls if include_withdrawn or c.status != Status.WITHDRAWN)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as out:
            n = exporting.write(calls, fmt, out, classifications)
        click.echo(f"{n} calls written to {output}", err=True)
    else:
        exporting.write(calls, fmt, sys.stdout, classifications)


@cli.command()
@pass_ctx
def classify(ctx: Context) -> None:
    """Merge duplicates and (re)score every call for every region; prints the tiers per region."""
    from pipelines.consolidate import consolidate_configured

    result = consolidate_configured(ctx.config, ctx.store)
    click.echo(f"{result.calls} calls → {result.merged} merged ({result.withdrawn} withdrawn), {result.classified} classifications")
    rows = [(region, *(str(tiers.get(t, 0)) for t in ("top", "relevant", "low", "not-eligible")))
            for region, tiers in sorted(result.tiers.items())]
    _table(("region", "top", "relevant", "low", "not eligible"), rows)


@cli.command()
@click.argument("slugs", nargs=-1)
@click.option("--probe", is_flag=True,
              help="Fetch SLUGS (default: every unverified source) once, live, into a scratch database, and show what was extracted.")
@pass_ctx
def sources(ctx: Context, slugs: tuple[str, ...], probe: bool) -> None:
    """Each source: last run, items, errors, outcome (or, with --probe, a live check)."""
    if probe:
        probe_sources(ctx, list(slugs) or [s.slug for s in ctx.config.sources.values() if not s.verified])
        return
    last = ctx.store.last_runs()
    rows = []
    for source in sorted(ctx.config.sources.values(), key=lambda s: s.slug):
        run = last.get(source.slug)
        rows.append((
            source.slug,
            "yes" if source.enabled else "no",
            "yes" if source.verified else "NO",
            run.started_at.strftime("%Y-%m-%d %H:%M") if run else "never",
            str(run.items) if run else "-",
            str(run.errors) if run else "-",
            run.outcome.value if run else "-",
            (run.reason or "") if run else "",
        ))
    _table(("source", "enabled", "verified", "last run (UTC)", "items", "errors", "outcome", "reason"), rows)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False), help="Folder to publish into (default: [site] out, else DATA_DIR/site).")
@click.option("--base-url", help="Public URL the folder is served at, for the feeds' absolute links (default: [site] base_url).")
@pass_ctx
def build(ctx: Context, out: str | None, base_url: str | None) -> None:
    """Publish the feeds (Atom, RSS, JSON Feed, iCalendar, CSV, JSON) for all calls and for each region."""
    report = publish_feeds(ctx, out, base_url)
    click.echo(f"{report.files} files for {report.calls} published calls written to {report.out}")
    _table(("feed", "calls"), [(scope, str(n)) for scope, n in report.scopes.items()])


def publish_feeds(ctx: Context, out: str | None, base_url: str | None):
    from digest import publish
    from pipelines.consolidate import configured_regions

    site = ctx.config.section("site")
    folder = Path(out or site.get("out") or ctx.config.data_dir / "site")
    if not folder.is_absolute():
        folder = (ctx.config.base_dir / folder) if not out else folder.resolve()
    return publish.build(ctx.store, folder, base_url=base_url or site.get("base_url", "http://localhost:8000/"),
                         regions=configured_regions(ctx.config), now=datetime.now(UTC))


@cli.command()
@click.option("--preview", "preview_dir", type=click.Path(file_okay=False), required=True,
              help="Write each region's digest as .eml and .html files here instead of sending.")
@click.option("--week", help="ISO week to select, e.g. 2026-W48 (default: this week).")
@pass_ctx
def email(ctx: Context, preview_dir: str, week: str | None) -> None:
    """The weekly email of every region in each of its languages, as previews (sending comes with the subscribers)."""
    written = write_email_previews(ctx, Path(preview_dir), week)
    click.echo(f"{len(written)} files written to {preview_dir}")


def write_email_previews(ctx: Context, folder: Path, week: str | None = None) -> list[Path]:
    from digest.email import EmailRenderer, build_message, write_preview
    from digest.select import select_digest
    from pipelines.consolidate import configured_regions

    settings = ctx.config.section("email")
    site = ctx.config.section("site").get("base_url", "http://localhost:8000/")
    unsubscribe = settings.get("unsubscribe_url", "https://grantdigest.invalid/unsubscribe")
    sender = settings.get("sender", "grantdigest@grantdigest.invalid")
    department = settings.get("department", "")
    renderer, now, messages = EmailRenderer(), datetime.now(UTC), []
    for region in configured_regions(ctx.config).values():
        digest = select_digest(ctx.store, region, now, week=week)
        for lang in region.digest_languages:
            rendered = renderer.render(digest, lang, site_url=site, unsubscribe_url=unsubscribe, department=department)
            message = build_message(rendered, sender=sender, recipient=f"preview-{region.id}@grantdigest.invalid",
                                    unsubscribe_url=unsubscribe)
            messages.append((f"{digest.week}-{region.id}-{lang}", message, rendered))
    return write_preview(messages, folder)


@cli.command()
@click.option("--log-level", default="INFO", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@pass_ctx
def schedule(ctx: Context, log_level: str) -> None:
    """Run the scheduler daemon: daily crawl, weekly publish, from [schedule] (stops cleanly on SIGTERM)."""
    from digest.schedule import run_daemon

    run_daemon(str(ctx.config.path) if ctx.config.path else None, log_level=log_level)


def probe_sources(ctx: Context, slugs: list[str]) -> None:
    for slug in slugs:
        ctx.config.source(slug)  # unknown slugs fail before any fetch
    folder, database_url = probing.scratch_database()
    with folder:
        run_crawl(ctx, slugs, "ERROR", database_url=database_url, no_cache=True)
        for report in probing.reports(database_url, slugs):
            for line in report.lines():
                click.echo(line)


@cli.command()
@click.option("--log-level", default="WARNING", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@pass_ctx
def run(ctx: Context, log_level: str) -> None:
    """The main job: crawl every enabled source, merge and classify, publish the feeds, preview the emails; report health."""
    code, _ = crawl_and_report(ctx, [], log_level)
    click.echo(f"{ctx.store.count_calls()} calls in the store ({ctx.config.database_url})")
    report = publish_feeds(ctx, None, None)
    click.echo(f"feeds of {report.calls} published calls written to {report.out / 'feeds'}")
    previews = write_email_previews(ctx, ctx.config.data_dir / "email-preview")
    click.echo(f"{len(previews)} email previews written to {ctx.config.data_dir / 'email-preview'}")
    if code != 0:
        raise SystemExit(code)


def print_runs(runs: list[Run]) -> None:
    _table(
        ("source", "outcome", "items", "invalid", "errors", "reason"),
        [(r.source, r.outcome.value, str(r.items), str(r.invalid), str(r.errors), r.reason or "") for r in sorted(runs, key=lambda r: r.source)],
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in (header, *rows):
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())


def main() -> None:
    cli(prog_name="grantdigest")


if __name__ == "__main__":
    main()
