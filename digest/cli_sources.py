"""The source commands: ``sources`` (health, ``--probe`` live check and report) and ``capture`` (one source
recorded live as a fixture folder, docs/verifying.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from calls.config import ConfigError
from calls.store import Outcome
from digest import job
from digest import probe as probing
from digest.cli_context import Context, pass_ctx, table

HISTORY_MARKS = {"running": ".", "interrupted": "i"}
"""The history column's mark of a run that is not ok, degraded or failing."""


@click.command()
@click.argument("slugs", nargs=-1)
@click.option("--probe", is_flag=True,
              help="Fetch SLUGS (default: every unverified source) once, live, into a scratch database, "
                   "and show what was extracted.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, writable=True),
              help="With --probe: also write the report for the maintainers to this file (.md, or .json).")
@click.option("--all", "all_", is_flag=True, help="With --probe: every enabled source, verified or not.")
@click.option("--check", is_flag=True, help="Exit 1 when an enabled source is degraded or failing (for monitoring).")
@pass_ctx
def sources(ctx: Context, slugs: tuple[str, ...], probe: bool, report_path: str | None, all_: bool,
            check: bool) -> None:
    """Each source's health: state, last run, calls found against the usual, recent runs, why
    (or, with --probe, a live check).

    History reads oldest to newest: o ok, d degraded, f failing, i interrupted, . still running. See docs/health.md.
    """
    if probe:
        chosen = list(slugs) or [s.slug for s in ctx.config.enabled_sources() if all_ or not s.verified]
        probe_sources(ctx, [s for s in chosen if ctx.config.sources[s].spider != "manual" or s in slugs],
                      Path(report_path) if report_path else None)
        return
    from digest.health import source_health, unhealthy

    wanted = set(slugs)
    try:
        for slug in wanted:
            ctx.config.source(slug)  # an unknown slug is an error, not an empty table
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.store.close_interrupted_runs()  # crawls killed since: shown as interrupted, not as still running
    health = [h for h in source_health(ctx.store, ctx.config.sources, datetime.now(UTC))
              if not wanted or h.slug in wanted]
    rows = [(
        h.slug,
        "yes" if h.enabled else "no",
        "yes" if ctx.config.sources[h.slug].verified else "NO",
        h.state.upper() if h.state in ("degraded", "failing") else h.state,
        h.last_run.strftime("%Y-%m-%d %H:%M") if h.last_run else "never",
        next((r.outcome for r in h.history if r.outcome != "running"), "-"),
        str(h.items) if h.items is not None else "-",
        f"{h.median_items:g}" if h.median_items is not None else "-",
        " ".join(HISTORY_MARKS.get(r.outcome) or r.state[0] for r in reversed(h.history)),
        job.one_line(h.reason) if h.reason and h.state != "never" else "",
    ) for h in health]
    table(("source", "enabled", "verified", "health", "last run (UTC)", "outcome", "items", "usual", "history",
           "reason"), rows)
    if check and unhealthy(health):
        raise SystemExit(1)




def probe_sources(ctx: Context, slugs: list[str], report_path: Path | None = None) -> None:
    """Crawl ``slugs`` once into a scratch database; print what each gave, and write the report when asked."""
    try:
        for slug in slugs:
            ctx.config.source(slug)  # unknown slugs fail before any fetch
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    folder, database_url = probing.scratch_database()
    with folder:
        job.run_crawl(ctx, slugs, "ERROR", database_url=database_url, no_cache=True)
        reports = probing.reports(database_url, slugs)
    for report in reports:
        for line in report.lines():
            click.echo(line)
    if report_path is not None:
        rows = probing.report_rows(reports, ctx.config.sources)
        if report_path.suffix == ".json":
            report_path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        else:
            report_path.write_text(probing.report_markdown(rows, f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"),
                                   encoding="utf-8")
        click.echo(f"report written to {report_path}")


@click.command()
@click.argument("slug")
@click.option("--out", type=click.Path(file_okay=False), help="Folder to write (new or empty; default: "
              "DATA_DIR/captures/SLUG-<UTC time>).")
@pass_ctx
def capture(ctx: Context, slug: str, out: str | None) -> None:
    """Crawl SLUG once, live, and record every exchange as a fixture folder (mirror/, meta.json, a draft
    expected.json, summary.md) that `grantdigest crawl SLUG --replay DIR` and the tests replay offline.

    The store is not touched. See docs/verifying.md: capture, review, copy to tests/fixtures/SLUG, verified = true.
    """
    from digest import capture as capturing

    try:
        source = ctx.config.source(slug)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    folder = Path(out) if out else ctx.config.data_dir / "captures" / f"{slug}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    try:
        result = capturing.capture(ctx, source, folder)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    for line in result.lines():
        click.echo(line)
    click.echo(f"review {folder / 'summary.md'}; replay offline: grantdigest crawl {slug} --replay {folder}")
    if result.report.run is None or result.report.run.outcome == Outcome.FAILED:
        raise SystemExit(1)


COMMANDS = (sources, capture)
