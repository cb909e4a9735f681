"""The scheduler daemon: jobs run, survive restarts without duplicates, coalesce missed runs, stop on SIGTERM."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from conftest import FIXTURES

from calls.config import ConfigError, load_config
from calls.store import Store
from digest.offline import write_config
from digest.schedule import CRAWL_JOB, DIGEST_JOB, JOBSTORE_TABLE, build_scheduler, stop_scheduler

ROOT = Path(__file__).resolve().parents[1]


def make_config(directory: Path, schedule: str = "", mirror: str | None = None):
    """A test config (see :func:`write_config`) publishing to ``directory/public``, with ``schedule`` as [schedule]."""
    path = write_config(directory, extra='[site]\nout = "public"\n[sources.eu-ftp.options]\npage_size = 5\n'
                                         "[schedule]\n" + schedule)
    if mirror:  # a top-level key: before the first table
        path.write_text(f'mirror = "{mirror}"\n' + path.read_text(encoding="utf-8"), encoding="utf-8")
    return load_config(path)


class Outcomes:
    """Job events seen by a scheduler, with a way to wait for them."""

    def __init__(self, scheduler):
        self.events: list = []
        self._changed = threading.Condition()
        scheduler.add_listener(self._record, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    def _record(self, event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, job_id: str, code: int = EVENT_JOB_EXECUTED) -> list:
        return [e for e in self.events if e.job_id == job_id and e.code == code]

    def wait(self, job_id: str, timeout: float) -> list:
        """Every event of ``job_id`` once there is at least one (or the timeout passed)."""
        with self._changed:
            self._changed.wait_for(lambda: any(e.job_id == job_id for e in self.events), timeout)
            return [e for e in self.events if e.job_id == job_id]


@pytest.fixture
def stopping():
    """Schedulers to shut down after the test."""
    started = []
    yield started.append
    for scheduler in started:
        if scheduler.running:
            stop_scheduler(scheduler)


def stored_rows(config) -> list[tuple[str, float]]:
    engine = sa.create_engine(config.database_url)
    try:
        with engine.connect() as conn:
            return [tuple(r)
                    for r in conn.execute(sa.text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE} ORDER BY id"))]
    finally:
        engine.dispose()


@pytest.mark.crawl
def test_crawl_then_publish_through_the_mirror(workdir, replay, stopping):
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    config = make_config(workdir, 'sources = ["eu-ftp"]\n', mirror=server.url)
    scheduler = build_scheduler(config, scheduler_class=BackgroundScheduler)
    outcomes = Outcomes(scheduler)
    scheduler.start()
    stopping(scheduler)

    scheduler.modify_job(CRAWL_JOB, next_run_time=datetime.now(UTC))
    [crawled] = outcomes.wait(CRAWL_JOB, timeout=45)
    assert crawled.code == EVENT_JOB_EXECUTED, crawled.exception
    store = Store.open(config.database_url)
    try:
        assert store.count_calls(source="eu-ftp") > 0
        assert store.classifications()  # consolidated after the crawl
    finally:
        store.close()

    scheduler.modify_job(DIGEST_JOB, next_run_time=datetime.now(UTC))
    [published] = outcomes.wait(DIGEST_JOB, timeout=30)
    assert published.code == EVENT_JOB_EXECUTED, published.exception
    assert published.retval > 0
    assert (workdir / "public" / "feeds" / "all" / "atom.xml").stat().st_size > 0
    assert list((workdir / "var" / "email-preview").glob("*.eml"))  # the weekly job prepares the emails too
    # both jobs are back on their cron schedule
    assert all(job.next_run_time > datetime.now(UTC) + timedelta(minutes=1) for job in scheduler.get_jobs())


def test_restart_keeps_one_job_per_id_and_its_next_run(workdir, stopping):
    config = make_config(workdir)
    first = build_scheduler(config, scheduler_class=BackgroundScheduler)
    first.start(paused=True)
    before = {job.id: job.next_run_time for job in first.get_jobs()}
    stop_scheduler(first)
    assert set(before) == {CRAWL_JOB, DIGEST_JOB}
    kyiv = before[DIGEST_JOB]
    assert (kyiv.weekday(), kyiv.hour, kyiv.minute, str(kyiv.tzinfo)) == (0, 7, 0, "Europe/Kyiv")

    for _ in range(2):  # restart twice
        again = build_scheduler(config, scheduler_class=BackgroundScheduler)
        again.start(paused=True)
        stopping(again)
        assert {job.id: job.next_run_time for job in again.get_jobs()} == before
        stop_scheduler(again)
    assert [row[0] for row in stored_rows(config)] == [CRAWL_JOB, DIGEST_JOB]

    # a changed cron expression replaces the job (still one row) with the new timing
    config = make_config(workdir, 'crawl = "30 5 * * *"\n')
    changed = build_scheduler(config, scheduler_class=BackgroundScheduler)
    changed.start(paused=True)
    stopping(changed)
    jobs = {job.id: job.next_run_time for job in changed.get_jobs()}
    assert (jobs[CRAWL_JOB].hour, jobs[CRAWL_JOB].minute) == (5, 30)
    assert jobs[DIGEST_JOB] == before[DIGEST_JOB]
    stop_scheduler(changed)
    assert [row[0] for row in stored_rows(config)] == [CRAWL_JOB, DIGEST_JOB]

    # a job turned off is removed
    config = make_config(workdir, 'crawl = ""\n')
    off = build_scheduler(config, scheduler_class=BackgroundScheduler)
    off.start(paused=True)
    stopping(off)
    assert [job.id for job in off.get_jobs()] == [DIGEST_JOB]


def down_for_five_weeks(config) -> datetime:
    """Install the jobs as if the daemon had started five weeks ago and been down since; the stored next run."""
    five_weeks_ago = datetime.now(UTC) - timedelta(weeks=5)
    first = build_scheduler(config, scheduler_class=BackgroundScheduler, clock=lambda: five_weeks_ago)
    first.start(paused=True)
    [job] = first.get_jobs()
    stop_scheduler(first)  # a bare shutdown() would advance the due job without running it (see stop_scheduler)
    return job.next_run_time


def test_missed_weekly_runs_run_once_after_restart(workdir, stopping):
    config = make_config(workdir, 'crawl = ""\nmisfire_grace_time = 691200\n')  # 8 days
    missed = down_for_five_weeks(config)
    assert missed < datetime.now(UTC) - timedelta(weeks=4)  # at least four weekly runs missed

    scheduler = build_scheduler(config, scheduler_class=BackgroundScheduler)
    outcomes = Outcomes(scheduler)
    scheduler.start()
    stopping(scheduler)
    outcomes.wait(DIGEST_JOB, timeout=20)
    time.sleep(1.5)  # room for any further (wrong) runs
    assert len(outcomes.of(DIGEST_JOB)) == 1, outcomes.events
    assert outcomes.of(DIGEST_JOB, EVENT_JOB_ERROR) == []
    assert (workdir / "public" / "feeds").is_dir()
    assert scheduler.get_job(DIGEST_JOB).next_run_time > datetime.now(UTC)


def test_run_missed_beyond_the_grace_time_is_skipped(workdir, stopping):
    config = make_config(workdir, 'crawl = ""\nmisfire_grace_time = 60\n')
    down_for_five_weeks(config)
    scheduler = build_scheduler(config, scheduler_class=BackgroundScheduler)
    outcomes = Outcomes(scheduler)
    scheduler.start()
    stopping(scheduler)
    outcomes.wait(DIGEST_JOB, timeout=20)
    time.sleep(0.5)
    assert len(outcomes.of(DIGEST_JOB, EVENT_JOB_MISSED)) == 1
    assert outcomes.of(DIGEST_JOB) == []
    assert not (workdir / "public").exists()


@pytest.mark.parametrize("schedule", ['crawl = "every day"\n', 'timezone = "Mars/Olympus"\n',
                                      'weekly = "0 7 * * mon"\n', 'sources = "eu-ftp"\n',
                                      'misfire_grace_time = "soon"\n', 'misfire_grace_time = 0\n',
                                      'crawl_timeout = -5\n'])
def test_bad_schedule_is_a_config_error(workdir, schedule):
    with pytest.raises(ConfigError, match=r"\[schedule\]"):
        build_scheduler(make_config(workdir, schedule), scheduler_class=BackgroundScheduler)


def test_sigterm_stops_the_daemon_cleanly(workdir):
    config = make_config(workdir)
    code = f"from digest.schedule import run_daemon; run_daemon({str(config.path)!r})"
    child = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in child.stderr], daemon=True).start()
    log = []
    try:
        deadline = time.monotonic() + 20
        while not any("scheduler started" in line for line in log):
            log.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=5) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    time.sleep(0.2)
    while not lines.empty():
        log.append(lines.get())
    text = "".join(log)
    assert "SIGTERM received" in text and "scheduler stopped" in text, text
    assert "Traceback" not in text
