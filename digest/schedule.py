"""The scheduler daemon (``grantdigest schedule``; DESIGN §8).

APScheduler 3 with cron triggers from the ``[schedule]`` table of the config::

    [schedule]
    timezone = "Europe/Kyiv"        # zone the cron fields are read in
    crawl = "0 6 * * *"             # crawl every enabled source daily; "" turns the job off
    digest = "0 7 * * mon"          # weekly: site, feeds, emails, health alert; "" turns it off
    misfire_grace_time = 3600       # seconds a missed run may still start late
    sources = []                    # crawl only these slugs (default: every enabled source)
    crawl_timeout = 14400           # seconds before a hung crawl is killed

Jobs live in the ``apscheduler_jobs`` table of the project's own database, so a
restart neither duplicates nor loses them: a job whose trigger and arguments are
unchanged keeps its stored next run time, and runs missed while the daemon was
down run once (coalesced) when still within ``misfire_grace_time``. Each crawl
runs in a child process because Twisted's reactor cannot be restarted.
"""

from __future__ import annotations

import logging
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from calls.config import Config, ConfigError, load_config
from calls.store import Store
from digest.job import main_job
from pipelines import lifeline

log = logging.getLogger("grantdigest.schedule")

JOBSTORE_TABLE = "apscheduler_jobs"
CRAWL_JOB = "crawl"
DIGEST_JOB = "digest"
class JobFailed(RuntimeError):
    """A scheduled job did not finish its work (the scheduler logs it as an error)."""


@dataclass(frozen=True)
class Schedule:
    """The ``[schedule]`` table (:class:`calls.config.ScheduleSection`) as the daemon uses it."""

    timezone: tzinfo
    triggers: dict[str, CronTrigger | None]
    """Job id → trigger; None where the job is turned off."""
    misfire_grace_time: int
    sources: tuple[str, ...]
    crawl_timeout: float | None


def read_schedule(config: Config) -> Schedule:
    """Validate ``config``'s ``[schedule]`` table (ConfigError on an unknown key, zone or cron expression)."""
    section = config.schedule
    try:
        zone = ZoneInfo(section.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"[schedule]: unknown time zone {section.timezone!r}", config.path) from None
    triggers: dict[str, CronTrigger | None] = {}
    for job_id, expr in ((CRAWL_JOB, section.crawl), (DIGEST_JOB, section.digest)):
        if not expr:
            triggers[job_id] = None
            continue
        try:
            triggers[job_id] = CronTrigger.from_crontab(expr, timezone=zone)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(f"[schedule] {job_id} = {expr!r}: not a cron expression ({exc})", config.path) from None
    return Schedule(zone, triggers, section.misfire_grace_time, tuple(section.sources), section.crawl_timeout)


# -- jobs (module-level and called with picklable arguments only) ------------------


def crawl_job(config_path: str | None) -> int:
    """Crawl (then merge and classify) in a child process: ``python -m pipelines.run``."""
    config = load_config(config_path)
    schedule = read_schedule(config)
    command = [sys.executable, "-m", "pipelines.run", "--log-level", "WARNING"]
    if config_path:
        command += ["--config", config_path]
    command += list(schedule.sources)
    log.info("crawl started: %s", " ".join(command))
    started = time.monotonic()
    try:
        code = lifeline.run(command, timeout=schedule.crawl_timeout).returncode
    except subprocess.TimeoutExpired:
        raise JobFailed(f"crawl killed after {schedule.crawl_timeout} s") from None
    if code != 0:
        raise JobFailed(f"crawl exited with status {code}")
    log.info("crawl finished in %.0f s", time.monotonic() - started)
    return code


@dataclass
class _Context:
    """What :func:`digest.job.main_job` reads (:class:`digest.job.JobContext`) when it does not crawl."""

    config: Config
    store: Store
    mirror: str | None = None


class _LogStages:
    """The job's :class:`digest.job.Progress` in a daemon: each stage's start and end, and every line, go to the log."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        log.info("%s: started", name)
        yield
        log.info("%s: done in %.1f s", name, time.monotonic() - started)

    def say(self, text: str, err: bool = False) -> None:
        (log.warning if err else log.info)("%s", text)

    def finish(self, summary: str) -> None:
        log.info("%s", summary)


def publish_job(config_path: str | None) -> int:
    """The weekly digest: what ``grantdigest run`` does after its crawl — publish the site and feeds, write the
    email previews (and send when ``[email] send`` is on and the week is approved), alert the editor about
    unhealthy sources. Returns the number of published calls; a failed send fails the job."""
    config = load_config(config_path)
    store = Store.open(config.database_url)
    log.info("digest job started")
    try:
        result = main_job(_Context(config, store), _LogStages(), crawl_first=False)
    finally:
        store.close()
    log.info("digest job finished: site in %s, email previews in %s, exit status %s",
             result.site, result.previews, result.code)
    if result.code:
        raise JobFailed(f"the digest job ended with status {result.code}")
    return result.published


JOBS: dict[str, Callable[[str | None], int]] = {CRAWL_JOB: crawl_job, DIGEST_JOB: publish_job}


# -- the scheduler ----------------------------------------------------------------


def build_scheduler(config: Config, *, scheduler_class: type[BaseScheduler] = BlockingScheduler,
                    clock: Callable[[], datetime] | None = None) -> BaseScheduler:
    """A scheduler, not yet started, with the configured jobs in the persistent job store.

    ``clock`` (an aware datetime) replaces "now" when a job's first run time is
    computed, i.e. when the store has no job with the same trigger and arguments.
    """
    schedule = read_schedule(config)
    Store.open(config.database_url).close()  # creates the SQLite folder, migrates the schema
    jobstore = SQLAlchemyJobStore(url=config.database_url, tablename=JOBSTORE_TABLE)
    scheduler = scheduler_class(
        jobstores={"default": jobstore},
        job_defaults={"coalesce": True, "misfire_grace_time": schedule.misfire_grace_time, "max_instances": 1},
        timezone=schedule.timezone,
    )
    jobstore.start(scheduler, "default")  # early, to read the stored jobs; start() again is harmless
    args = (str(config.path.resolve()) if config.path else None,)
    for job_id, trigger in schedule.triggers.items():
        stored = _stored_job(jobstore, job_id)
        if trigger is None:
            if stored is not None:
                jobstore.remove_job(job_id)
                log.info("job %s turned off in [schedule]: removed", job_id)
            continue
        func = JOBS[job_id]
        timing = {}
        if stored is not None and stored.func is func and tuple(stored.args) == args \
                and repr(stored.trigger) == repr(trigger) and stored.next_run_time is not None:
            timing["next_run_time"] = stored.next_run_time  # keep it: a run missed while down is not lost
        elif clock is not None:
            timing["next_run_time"] = trigger.get_next_fire_time(None, clock())
        scheduler.add_job(func, trigger, args=args, id=job_id, name=job_id, replace_existing=True, **timing)
    scheduler.add_listener(_log_outcome, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    return scheduler


def _stored_job(jobstore: SQLAlchemyJobStore, job_id: str):
    """The stored job, or None when absent or unreadable (it is then replaced)."""
    try:
        return jobstore.lookup_job(job_id)
    except (pickle.UnpicklingError, ValueError, LookupError, AttributeError, ImportError) as exc:
        log.warning("stored job %s cannot be read (%s); replacing it", job_id, exc)
        return None


def _log_outcome(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning("job %s: run due at %s was missed beyond the grace time; skipped", event.job_id,
                    event.scheduled_run_time)
    elif event.exception is not None:
        log.error("job %s (due %s) failed: %s", event.job_id, event.scheduled_run_time, event.exception)
    else:
        log.info("job %s (due %s) succeeded: %s", event.job_id, event.scheduled_run_time, event.retval)


def run_daemon(config_path: str | Path | None = None, *, blocking: bool = True,
               log_level: str = "INFO") -> BaseScheduler:
    """Run the scheduler until SIGTERM or SIGINT, then shut it down cleanly (waiting for a running job).

    With ``blocking=False``: start it in a background thread and return it at
    once, without touching signal handlers or logging.
    """
    config = load_config(config_path)
    if not blocking:
        scheduler = build_scheduler(config, scheduler_class=BackgroundScheduler)
        scheduler.start()
        return scheduler
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The scheduler runs in a thread; the main thread waits for a signal and then
    # shuts it down outside the signal handler, where blocking is safe. The handlers come
    # first: a signal while the job store is being set up is a clean stop too.
    stop = threading.Event()

    def request_stop(signum, _frame):
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler = build_scheduler(config, scheduler_class=BackgroundScheduler)
        scheduler.start()
        for job in scheduler.get_jobs():
            log.info("job %s: %s, next run %s", job.id, job.trigger, job.next_run_time)
        log.info("scheduler started (database %s)", _safe_url(config.database_url))
        stop.wait()
        stop_scheduler(scheduler)
        log.info("scheduler stopped")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return scheduler


def stop_scheduler(scheduler: BaseScheduler, *, wait: bool = True) -> None:
    """``scheduler.shutdown(wait)``, detaching the job store first.

    APScheduler 3 makes one more pass over its job stores after shutdown
    (agronholm/apscheduler#985): a job due at that moment has its stored next
    run time advanced but is never run. Without a store, nothing is lost.
    """
    scheduler.remove_jobstore("default", shutdown=True)
    scheduler.shutdown(wait=wait)


def _safe_url(url: str) -> str:
    """``url`` without a password, for the log."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
