"""What every ``grantdigest`` subcommand shares: the resolved config and store, the progress printer, tables."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from calls.config import ConfigError, load_config
from calls.store import Run, Store
from digest import job


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


class Stages:
    """Progress of a multi-stage job: on a terminal, a numbered, coloured line per stage with its elapsed time;
    otherwise (a log file, a pipe) plain timestamped lines."""

    def __init__(self, total: int, *, tty: bool | None = None):
        self.total, self.number = total, 0
        self.tty = sys.stdout.isatty() if tty is None else tty
        self.started = time.monotonic()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.number += 1
        label, start = f"[{self.number}/{self.total}] {name}", time.monotonic()
        self._say(f"{label} …" if self.tty else f"{name}: started", bold=True)
        try:
            yield
        except BaseException:
            elapsed = time.monotonic() - start
            self._say(f"{label} failed after {elapsed:.1f}s" if self.tty else f"{name}: failed after {elapsed:.1f}s",
                      fg="red")
            raise
        elapsed = time.monotonic() - start
        self._say(f"{label} ✓ {elapsed:.1f}s" if self.tty else f"{name}: done in {elapsed:.1f}s", fg="green")

    def say(self, text: str, err: bool = False) -> None:
        """A line of the job's output (``err``: a problem, to stderr)."""
        click.echo(text, err=err)

    def finish(self, summary: str) -> None:
        self._say(f"{summary} ({time.monotonic() - self.started:.1f}s in all)", bold=True)

    def _say(self, text: str, **style) -> None:
        if self.tty:
            click.secho(text, **style)
        else:
            click.echo(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {text}")


def print_runs(runs: list[Run]) -> None:
    for line in job.run_lines(runs):
        click.echo(line)
    for line in job.hints(runs):
        click.echo(line, err=True)


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    for line in job.table_lines(header, rows):
        click.echo(line)
