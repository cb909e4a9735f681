"""The ``grantdigest`` command."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from calls.config import ConfigError
from calls.schema import Status, Tier
from calls.store import Outcome, Run
from digest import export as exporting
from digest import job
from digest.cli_context import Context, Stages, pass_ctx, print_runs, table
from digest.cli_editorial import COMMANDS as editor_commands
from digest.cli_editorial import new_source, resolve_in_flight
from digest.cli_sources import COMMANDS as source_commands

__all__ = ["Context", "Stages", "cli", "main"]


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
@click.option("--replay", "replay_dir", type=click.Path(exists=True, file_okay=False),
              help="Crawl offline from a capture or fixture folder (its mirror/), served on 127.0.0.1.")
@pass_ctx
def crawl(ctx: Context, slugs: tuple[str, ...], log_level: str, replay_dir: str | None) -> None:
    """Crawl SLUGS (default: every enabled source) into the store.

    Runs Scrapy in a child process; prints each source's run record. With --replay DIR the sites are not
    contacted: every request is answered from DIR's recorded exchanges (grantdigest capture), 404 otherwise.
    """
    if replay_dir:
        from digest.replay import ReplayServer

        folder = Path(replay_dir)
        with ReplayServer(folder / "mirror" if (folder / "mirror").is_dir() else folder) as server:
            ctx.mirror = server.url
            code, runs = crawl_and_report(ctx, list(slugs), log_level)
    else:
        code, runs = crawl_and_report(ctx, list(slugs), log_level)
    if code != 0:
        raise SystemExit(code)
    if any(r.outcome == Outcome.FAILED for r in runs):
        raise SystemExit(1)


def crawl_and_report(ctx: Context, slugs: list[str], log_level: str) -> tuple[int, list[Run]]:
    """Crawl ``slugs`` (all enabled when empty), print the run record of every source that ran.

    Returns the exit status and the runs.
    """
    code, runs = job.crawl(ctx, slugs, log_level)
    print_runs(runs)
    return code, runs


@cli.command(name="export")
@click.option("--format", "fmt", type=click.Choice(exporting.FORMATS), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="File to write (default: stdout).")
@click.option("--per-source", is_flag=True,
              help="One record per source page, before merging "
                   "(default: merged calls with their classification per region).")
@click.option("--source", help="Only calls seen on this source.")
@click.option("--include-withdrawn", is_flag=True, help="Also calls an editor withdrew.")
@pass_ctx
def export_(ctx: Context, fmt: str, output: str | None, per_source: bool, source: str | None,
            include_withdrawn: bool) -> None:
    """Export every stored call (schema fields; datetimes ISO 8601 with offset).

    By default: the merged calls (one per real-world call, every source page
    in ``provenance``) with their classification for every region.
    """
    if per_source:
        calls = ctx.store.iter_calls(source=source)
        classifications = None
    else:
        calls = (c for c, members in ctx.store.iter_merged()
                 if not source or any(m.startswith(source + ":") for m in members))
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
    click.echo(f"{result.calls} calls → {result.merged} merged ({result.withdrawn} withdrawn), "
               f"{result.classified} classifications")
    rows = [(region, *(str(tiers.get(t, 0)) for t in Tier))
            for region, tiers in sorted(result.tiers.items())]
    table(("region", "top", "relevant", "low", "not eligible"), rows)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False),
              help="Folder to publish into (default: [site] out, else DATA_DIR/site).")
@click.option("--base-url",
              help="Public URL the folder is served at, for the feeds' absolute links (default: [site] base_url).")
@pass_ctx
def build(ctx: Context, out: str | None, base_url: str | None) -> None:
    """Publish the static site (uk, sr-Latn, sr-Cyrl, en) and the feeds (Atom, RSS, JSON Feed, iCalendar, CSV,
    JSON)."""
    report = job.publish(ctx, out, base_url)
    click.echo(f"{report.files} files for {report.calls} published calls written to {report.out}"
               f" ({report.written} written, {report.unchanged} unchanged)")
    if report.site:
        click.echo(f"site: {report.site.pages} pages, {report.site.written} written, {report.site.unchanged} unchanged;"
                   f" open {report.out / 'index.html'}")
    table(("feed", "calls"), [(scope, str(n)) for scope, n in report.scopes.items()])


@cli.command()
@click.option("--preview", "preview_dir", type=click.Path(file_okay=False),
              help="Write each region's digest as .eml and .html files here instead of sending.")
@click.option("--send", "send_", is_flag=True,
              help="Send every subscriber their region's digest over SMTP, once "
                   "(needs the week approved: grantdigest approve).")
@click.option("--week", help="ISO week to select, e.g. 2026-W48 (default: this week).")
@click.option("--region", "regions", multiple=True, help="With --send: only this region's subscribers (repeatable).")
@click.option("--resolve-in-flight", "resolve", type=click.Choice(["sent", "resend"]),
              help="Settle the messages an interrupted --send left in flight: they arrived, or send them again.")
@pass_ctx
def email(ctx: Context, preview_dir: str | None, send_: bool, week: str | None, regions: tuple[str, ...],
          resolve: str | None) -> None:
    """The weekly email of every region: --preview DIR writes .eml/.html files, --send mails the subscribers
    (docs/email.md).

    --send exits 1 when a message failed, was deferred or is in flight (a re-run sends what is left, never twice).
    """
    if resolve:
        resolve_in_flight(ctx, resolve, week, regions)
        if not send_:
            return
    if bool(preview_dir) == send_:
        raise click.UsageError("give either --preview DIR or --send")
    if preview_dir:
        written = job.write_email_previews(ctx, Path(preview_dir), week)
        click.echo(f"{len(written)} files written to {preview_dir}")
        return
    if not send_emails(ctx, week, regions).ok:
        raise SystemExit(1)


def send_emails(ctx: Context, week: str | None = None, regions: tuple[str, ...] = ()):
    """Send the digests (:func:`digest.send.send_digests`) and print the report.

    Raises ClickException when nothing could start.
    """
    from digest.select import WeekError
    from digest.send import SendError, send_digests
    from digest.subscribers import SubscriberError

    try:
        report = send_digests(ctx.config, ctx.store, week=week, regions=regions or None)
    except (SendError, SubscriberError, WeekError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    for line, problem in job.send_report_lines(report):
        click.echo(line, err=problem)
    return report


@cli.command()
@click.option("--week",
              help="ISO week, e.g. 2026-W48 (default: this week in the region's zone, [schedule] timezone for '*').")
@click.option("--region", default="*", show_default=True, help="Region id, or '*' for every region.")
@click.option("--by", "by", help="Who approves (default: $USER).")
@click.option("--note", help="A note kept with the approval.")
@click.option("--list", "list_", is_flag=True, help="List the approvals (of --week, when given) instead.")
@pass_ctx
def approve(ctx: Context, week: str | None, region: str, by: str | None, note: str | None, list_: bool) -> None:
    """Approve a week's digest for sending (grantdigest email --send requires it unless [email] require_approval
    = false)."""
    from calls.regions import configured_regions
    from digest import approval
    from digest.schedule import read_schedule
    from digest.select import WeekError, iso_week

    if list_:
        rows = approval.approvals(ctx.store, week)
        table(("week", "region", "approved by", "at (UTC)", "note"),
               [(a.week, a.region, a.approved_by, a.approved_at.strftime("%Y-%m-%d %H:%M"), a.note or "")
                for a in rows])
        return
    regions = configured_regions(ctx.config)
    if region != approval.ALL_REGIONS and region not in regions:
        raise click.BadParameter(f"unknown region {region!r}; known: {', '.join(sorted(regions))} or '*'",
                                 param_hint="--region")
    zone = regions[region].zone if region in regions else read_schedule(ctx.config).timezone
    by = by or os.environ.get("USER") or os.environ.get("LOGNAME")
    if not by:
        raise click.BadParameter("say who approves", param_hint="--by")
    try:
        done = approval.approve(ctx.store, week or iso_week(datetime.now(UTC), zone), region, by=by, note=note)
    except WeekError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from None
    click.echo(f"{done.week} approved for {'every region' if done.region == '*' else done.region} "
               f"by {done.approved_by}")


@cli.command()
@click.argument("address", required=False)
@click.option("--token", help="The token of an unsubscribe link (?token=…), instead of ADDRESS.")
@pass_ctx
def unsubscribe(ctx: Context, address: str | None, token: str | None) -> None:
    """Stop sending to ADDRESS (or to the subscriber an unsubscribe --token was made for): adds it to the suppression
    list."""
    from calls.regions import configured_regions
    from digest.send import EmailSettings, SendError
    from digest.subscribers import AddressError, SubscriberError, find_by_token, load_subscribers, suppress

    if bool(address) == bool(token):
        raise click.UsageError("give either ADDRESS or --token")
    settings = EmailSettings.from_config(ctx.config)
    if token:
        if settings.subscribers is None:
            raise click.ClickException("[email] subscribers is not set: a token is looked up among the subscribers")
        try:
            found = find_by_token(load_subscribers(settings.subscribers, configured_regions(ctx.config)),
                                  settings.secret(), token)
        except (SendError, SubscriberError) as exc:
            raise click.ClickException(str(exc)) from None
        if found is None:
            raise click.ClickException("no subscriber has this token (already removed, or the secret changed)")
        address = found.email
    try:
        added = suppress(settings.suppression, address, reason="token" if token else "by hand")
    except AddressError as exc:
        raise click.BadParameter(str(exc), param_hint="ADDRESS") from None
    click.echo(f"{address} {'unsubscribed' if added else 'was already unsubscribed'} ({settings.suppression})")


@cli.command()
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@pass_ctx
def schedule(ctx: Context, log_level: str) -> None:
    """Run the scheduler daemon: daily crawl, weekly publish, from [schedule] (stops cleanly on SIGTERM)."""
    from digest.schedule import run_daemon

    run_daemon(str(ctx.config.path) if ctx.config.path else None, log_level=log_level)


@cli.command()
@click.option("--log-level", default="WARNING", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@pass_ctx
def run(ctx: Context, log_level: str) -> None:
    """The main job: crawl every enabled source, merge and classify, publish the site and feeds, prepare the emails,
    check health.

    The emails are written as previews to DATA_DIR/email-preview, and sent too with [email] send = true once the
    week is approved. Prints a line per stage with its time (plain timestamped lines when not on a terminal).
    """
    result = job.main_job(ctx, Stages(4), log_level=log_level)
    if result.code != 0:
        raise SystemExit(result.code)


@cli.command()
@click.option("--out", default="grantdigest-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for everything the demo writes (a new or empty folder, or an earlier demo's).")
@click.option("--log-level", default="ERROR", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), help="Scrapy's log level.")
def demo(out: str, log_level: str) -> None:
    """The main job, offline, on a bundled snapshot of a few sources: writes the site, feeds and email previews
    to --out.

    Serves the snapshot on 127.0.0.1 itself and uses a scratch database in --out: your configuration and
    database are not touched. Shows the product as of the week the snapshot was recorded (2026-W48).
    """
    from digest import demo as demoing
    from digest.replay import ReplayServer
    from pipelines.consolidate import consolidate_configured

    try:
        layout = demoing.prepare(Path(out))
        trees = demoing.mirror_trees()
    except demoing.DemoError as exc:
        raise click.ClickException(str(exc)) from None

    def as_recorded(ctx: Context) -> None:
        demoing.pin_clock(ctx.store, demoing.CRAWLED_AT)
        consolidate_configured(ctx.config, ctx.store, now=demoing.CRAWLED_AT)

    with ReplayServer(*trees) as server:
        ctx = Context(str(layout.config), server.url)
        try:
            result = job.main_job(ctx, Stages(4), log_level=log_level, site_out=layout.site,
                                  previews=layout.previews, now=demoing.DEMO_NOW, after_crawl=as_recorded,
                                  send=False)
        finally:
            if ctx._store is not None:
                ctx.store.close()
    click.echo("")
    click.echo(f"The demo shows week 2026-W48 as recorded ({demoing.DEMO_NOW:%Y-%m-%d}), whatever today's date.")
    entry = demoing.site_entry(layout)
    click.echo(f"  site:           {entry.as_uri() if entry else '(not built)'}")
    click.echo(f"  feeds:          {layout.feeds}")
    click.echo(f"  email previews: {layout.previews} (.eml for a mail client, .html for a browser)")
    click.echo(f"  source health:  grantdigest --config {layout.config} sources")
    troubled = [h.slug for h in result.health if h.state in ("degraded", "failing")]
    if troubled:
        click.echo(f"The snapshot replays the errors it recorded ({', '.join(troubled)}): "
                   "the status page and the emails show how a source in trouble is reported "
                   "while the others still go out.")
    if result.code != 0:
        raise SystemExit(result.code)


for command in (*editor_commands, *source_commands, new_source):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="grantdigest")


if __name__ == "__main__":
    main()
