"""One frozen clock for the whole test run, in this process and in every Python child it starts.

The run starts at :data:`NOW` (default: Wednesday 2026-12-02 09:00 UTC, of ISO
week 2026-W49) and then runs on at the real pace, so timeouts, Twisted timers
and APScheduler still work; ``pytest --frozen-now=2026-11-29T20:00:00+00:00``
starts it elsewhere, and ``--frozen-now=system`` at the system clock's instant
(run under ``faketime`` to try another day of the week: see README, "Tests").

Child processes (``grantdigest run``, ``scrapy crawl``, the scheduler daemon)
inherit the clock through :func:`child_env`: ``tests/clock_hook/sitecustomize.py``
moves them to the same instant as the parent.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import time_machine

DEFAULT_NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ENV = "PYTEST_FROZEN_CLOCK"
"""``"<frozen epoch> <real epoch>"``: the frozen instant and the real instant it stands for."""
HOOK = Path(__file__).parent / "clock_hook"
REPO = Path(__file__).resolve().parent.parent

NOW: datetime = DEFAULT_NOW
"""The instant the run started at; module constants and fixtures count from it."""

_traveller: time_machine.travel | None = None


def parse(value: str | None) -> datetime:
    """The start instant named by ``--frozen-now``: an ISO 8601 instant with its offset, or ``system``."""
    if not value:
        return DEFAULT_NOW
    if value == "system":
        return datetime.now(UTC).replace(microsecond=0)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"--frozen-now needs an offset (e.g. +00:00): {value!r}")
    return moment.astimezone(UTC)


def start(now: datetime) -> None:
    """Move this process's clock to ``now`` and let it run; children started with :func:`child_env` follow."""
    global NOW, _traveller
    real = time.time()
    NOW = now
    _traveller = time_machine.travel(now, tick=True)
    _traveller.start()
    os.environ[ENV] = f"{now.timestamp()!r} {real!r}"
    os.environ["PYTHONPATH"] = _with_hook(os.environ.get("PYTHONPATH", ""))


def real_now() -> datetime:
    """The system clock, which OpenSSL (certificate validity), SQLite and other C code still read."""
    if _traveller is None:
        return datetime.now(UTC)
    return datetime.fromtimestamp(time_machine.escape_hatch.time.time(), UTC)


def stop() -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def child_env(base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """An environment for a Python child on this run's clock: ``base`` (default ``os.environ``) and ``extra``."""
    env = dict(os.environ if base is None else base)
    env.update(extra)
    env[ENV] = os.environ[ENV]
    env["PYTHONPATH"] = _with_hook(env.get("PYTHONPATH", ""))
    return env


def _with_hook(pythonpath: str) -> str:
    paths = [str(HOOK), str(REPO), *(p for p in pythonpath.split(os.pathsep) if p)]
    return os.pathsep.join(dict.fromkeys(paths))
