"""The main job, one function per stage: crawl (the crawl merges and classifies) → publish → email → health.

``grantdigest run``, ``grantdigest demo`` and the scheduler's jobs all call
:func:`main_job`; each stage takes what it reads (a :class:`JobContext`: config,
store, mirror), the clock (``now``) and a :class:`Progress` that reports what
happened: the CLI prints it (:class:`digest.cli.Stages`), the daemon logs it.
Nothing here parses arguments or knows about click.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from calls.config import ENV_DATABASE, Config, ConfigError
from calls.regions import configured_regions
from calls.store import Run, Store
from pipelines import lifeline
from pipelines.causes import network_down


class JobContext(Protocol):
    """What the job reads: the resolved configuration, an open store, and the mirror the crawl goes through."""

    config: Config
    store: Store
    mirror: str | None


class Progress(Protocol):
    """Where the job reports: a stage at a time, lines of output (``err`` for problems), and a summary."""

    def stage(self, name: str) -> AbstractContextManager[None]: ...

    def say(self, text: str, err: bool = False) -> None: ...

    def finish(self, summary: str) -> None: ...


@dataclass(frozen=True)
class JobResult:
    """What the main job produced: its exit status, where the outputs are, and every enabled source's health."""

    code: int
    site: Path
    previews: Path
    health: list
    published: int = 0
    """Calls on the site and in the feeds."""


# -- stages -----------------------------------------------------------------------------------

def run_crawl(job: JobContext, slugs: Iterable[str], log_level: str = "WARNING", *, database_url: str | None = None,
              no_cache: bool = False, record: Path | None = None) -> int:
    """Start ``python -m pipelines.run`` for ``slugs`` (every enabled source when empty); its exit status.

    The crawl dies with this process (:mod:`pipelines.lifeline`): killing ``grantdigest crawl`` ends it.

    ``database_url`` sends the crawl to another database (probes); ``no_cache`` bypasses the HTTP cache;
    ``record`` names a folder that receives every exchange in the replay format (captures).
    """
    command = [sys.executable, "-m", "pipelines.run"]
    if job.config.path:
        command += ["--config", str(job.config.path)]
    if job.mirror or job.config.mirror:
        command += ["--mirror", job.mirror or job.config.mirror]
    command += ["--log-level", log_level]
    if no_cache:
        command.append("--no-cache")
    if record:
        command += ["--record", str(record)]
    env = {**os.environ, ENV_DATABASE: database_url} if database_url else None
    return lifeline.run([*command, *slugs], env=env).returncode


def crawl(job: JobContext, slugs: Iterable[str], log_level: str = "WARNING") -> tuple[int, list[Run]]:
    """Crawl ``slugs``; the exit status and the run record of every source that ran."""
    started = datetime.now(UTC)
    code = run_crawl(job, slugs, log_level)
    return code, [r for r in job.store.last_runs().values() if r.started_at >= started.replace(microsecond=0)]


def publish(job: JobContext, out: str | None = None, base_url: str | None = None, *, now: datetime | None = None):
    """Publish the site and the feeds into ``out`` (default: ``[site] out``, else DATA_DIR/site); the build report."""
    from digest import publish as publishing

    site = job.config.site
    folder = Path(out or site.out or job.config.data_dir / "site")
    if not folder.is_absolute():
        folder = (job.config.base_dir / folder) if not out else folder.resolve()
    return publishing.build(job.store, folder, base_url=base_url or site.base_url,
                            regions=configured_regions(job.config), now=now or datetime.now(UTC),
                            sources=job.config.sources, theme_feeds=site.theme_feeds, umask=site.umask)


def write_email_previews(job: JobContext, folder: Path, week: str | None = None, *,
                         now: datetime | None = None) -> list[Path]:
    """Every region's digest in each of its languages as .eml/.html previews, with the editor's controls applied."""
    from digest import editorial
    from digest.email import EmailRenderer, build_message, write_preview
    from digest.select import select_digest
    from digest.smtp import EmailSettings

    settings = EmailSettings.from_config(job.config)
    site, unsubscribe = settings.site_url, settings.unsubscribe_url
    sender, department = settings.sender, settings.department
    renderer, now, messages = EmailRenderer(), now or datetime.now(UTC), []
    edits = editorial.controls(job.store)
    for region in configured_regions(job.config).values():
        digest = select_digest(job.store, region, now, week=week, exclude=edits.exclusions(region.id),
                               pinned=edits.pins(region.id))
        for lang in region.digest_languages:
            rendered = renderer.render(digest, lang, site_url=site, unsubscribe_url=unsubscribe, department=department,
                                       controls=edits)
            message = build_message(rendered, sender=sender, recipient=f"preview-{region.id}@grantdigest.invalid",
                                    unsubscribe_url=unsubscribe)
            messages.append((f"{digest.week}-{region.id}-{lang}", message, rendered))
    return write_preview(messages, folder)


def send_report_lines(report) -> Iterator[tuple[str, bool]]:
    """(line, is a problem) of a :class:`digest.send.SendReport`, as the CLI and the job print it."""
    yield (f"{report.sent} sent, {report.skipped} already sent before, {report.failed} failed, "
           f"{report.deferred} deferred, {report.suppressed} unsubscribed"), False
    for key, recipient, error in report.failures:
        yield f"  {key} → {recipient}: {error}", True
    for item in report.in_flight:
        yield f"  in flight when an earlier run was interrupted, not sent again: {item}", True
    if report.in_flight:
        yield ("  check the mail server's log for their Message-IDs, then: grantdigest email --resolve-in-flight sent "
               "(they arrived) or --resolve-in-flight resend (send them again)"), True
    if report.aborted:
        yield f"stopped early: {report.aborted} (run it again to send the rest)", True


def send_from_run(job: JobContext, progress: Progress) -> int:
    """The job with ``[email] send = true``: send when this week is approved, else say what to approve; exit status."""
    from digest.select import WeekError
    from digest.send import NotApproved, SendError, send_digests
    from digest.subscribers import SubscriberError

    try:
        report = send_digests(job.config, job.store)
    except NotApproved as exc:  # not an error of the run: the editor has not approved this week yet
        progress.say(f"emails not sent: {exc}", err=True)
        return 0
    except (SendError, SubscriberError, WeekError, ConfigError) as exc:
        progress.say(f"emails not sent: {exc}", err=True)
        return 1
    for line, problem in send_report_lines(report):
        progress.say(line, err=problem)
    return 0 if report.ok else 1


def alert_editor(job: JobContext, problems: list, now: datetime, progress: Progress) -> bool:
    """Mail the ``[health] alert_to`` address about degraded and failing sources; whether a message went out."""
    from digest.health import alert_message
    from digest.send import SendError, mailer_from_config
    from digest.smtp import EmailSettings

    recipient = job.config.health.alert_to
    if not recipient:
        return False
    try:
        message = alert_message(problems, sender=EmailSettings.from_config(job.config).sender, recipient=recipient,
                                now=now)
        if message is None:
            return False
        with mailer_from_config(job.config) as mailer:
            mailer.send(message)
    except (SendError, ConfigError, OSError) as exc:
        progress.say(f"health alert to {recipient} not sent: {exc}", err=True)
        return False
    progress.say(f"health alert sent to {recipient}")
    return True


def run_lines(runs: Iterable[Run]) -> list[str]:
    """The run records as an aligned table, a line each."""
    return table_lines(("source", "outcome", "items", "invalid", "errors", "reason"),
                       [(r.source, r.outcome.value, str(r.items), str(r.invalid), str(r.errors), r.reason or "")
                        for r in sorted(runs, key=lambda r: r.source)])


OFFLINE_HINT = ("No source could be reached on the network: is this machine offline? "
                "`grantdigest demo` shows the whole product offline, on a bundled snapshot.")


def hints(runs: Iterable[Run]) -> list[str]:
    """Lines to print after the run records: the offline hint when every source failed on the network."""
    return [OFFLINE_HINT] if network_down([r.stats or {} for r in runs]) else []


def table_lines(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    return ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
            for row in (header, *rows)]


def one_line(text: str) -> str:
    """A reason on one table line (scraped error text may hold newlines)."""
    return " ".join(text.split())


# -- the job ----------------------------------------------------------------------------------

def main_job(job: JobContext, progress: Progress, *, log_level: str = "WARNING", site_out: Path | None = None,
             previews: Path | None = None, now: datetime | None = None,
             after_crawl: Callable[[JobContext], None] | None = None, send: bool = True,
             crawl_first: bool = True) -> JobResult:
    """Crawl, publish, prepare the emails, check health: ``grantdigest run``, ``grantdigest demo`` and,
    with ``crawl_first`` False, the scheduler's weekly digest job.

    ``now`` pins the clock of publishing and selection; ``after_crawl`` runs between the crawl and publishing;
    ``send`` False never mails anything (no digest, no health alert).
    """
    from digest.health import source_health, unhealthy

    previews = previews or job.config.data_dir / "email-preview"
    code = 0
    if crawl_first:
        with progress.stage("crawl every enabled source"):
            code, runs = crawl(job, [], log_level)
            for line in run_lines(runs):
                progress.say(line)
            for line in hints(runs):
                progress.say(line, err=True)
            if after_crawl:
                after_crawl(job)
            progress.say(f"{job.store.count_calls()} calls in the store ({job.config.database_url})")
    with progress.stage("publish the site and feeds"):
        report = publish(job, str(site_out) if site_out else None, None, now=now)
        progress.say(f"site and feeds of {report.calls} published calls written to {report.out}")
    with progress.stage("prepare the emails"):
        written = write_email_previews(job, previews, now=now)
        progress.say(f"{len(written)} email preview files written to {previews}")
        if send and _sending(job):
            code = send_from_run(job, progress) or code
    with progress.stage("check source health"):
        health = source_health(job.store, job.config.enabled_sources(), now or datetime.now(UTC))
        problems = unhealthy(health)
        for h in problems:
            progress.say(f"{h.slug}: {h.state} — {one_line(h.reason or '')}")
        if send and problems:
            alert_editor(job, problems, now or datetime.now(UTC), progress)
    states = [h.state for h in health]
    if states and all(state == "failing" for state in states) and code == 0:
        progress.say("every enabled source failed: the site and emails above hold only what earlier crawls found",
                     err=True)
        code = 1
    progress.finish("sources: " + (", ".join(f"{states.count(s)} {s}" for s in ("ok", "degraded", "failing", "never")
                                             if s in states) or "none enabled"))
    return JobResult(code, report.out, previews, health, report.calls)


def _sending(job: JobContext) -> bool:
    """``[email] send = true``: the job sends the approved digests (else it only writes previews)."""
    from digest.smtp import EmailSettings

    return EmailSettings.from_config(job.config).send
