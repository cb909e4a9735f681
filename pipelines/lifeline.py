"""A crawl child that never outlives the command that started it (issue #18: crash safety).

The parent side, :func:`run`, starts the child in a session (process group) of its own and keeps
the write end of a pipe whose read end the child inherits (named in ``$GRANTDIGEST_LIFELINE``).
When the parent is interrupted (SIGTERM, Ctrl-C, a timeout, any exception) it ends the child's
whole group: SIGTERM (Scrapy closes its spiders and records their runs), then SIGKILL after a grace.

The child side, :func:`hold`, called first by ``python -m pipelines.run``, notices a parent that
died without a word (SIGKILL): on Linux the kernel sends it SIGKILL (``PR_SET_PDEATHSIG``), and on
every system a watcher thread sees the pipe's end of file, since the kernel closes the parent's
end when the parent dies. Either way the child's group is killed before it writes anything more.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

ENV = "GRANTDIGEST_LIFELINE"
"""``FD:PARENT_PID``: the pipe's read end inherited by the child, and the pid of the parent that holds the other end."""
GRACE = 10.0
"""Seconds a child has to stop after SIGTERM before it is killed."""
_PR_SET_PDEATHSIG = 1


class _Stopped(BaseException):
    """The parent got SIGTERM while waiting for its child."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def run(command: Sequence[str], *, env: dict[str, str] | None = None, capture: bool = False,
        timeout: float | None = None, grace: float = GRACE) -> subprocess.CompletedProcess:
    """Run ``command`` as a child that dies with this process; like :func:`subprocess.run` (``capture``: text
    stdout and stderr). On a timeout the child's group is ended and :class:`subprocess.TimeoutExpired` raised."""
    read, write = os.pipe()
    env = dict(os.environ if env is None else env)
    env[ENV] = f"{read}:{os.getpid()}"
    pipe = subprocess.PIPE if capture else None
    try:
        child = subprocess.Popen(list(command), env=env, pass_fds=(read,), start_new_session=True,
                                 stdout=pipe, stderr=pipe, text=capture)
    except BaseException:
        os.close(write)
        raise
    finally:
        os.close(read)
    try:
        with _sigterm_raises():
            out, err = child.communicate(timeout=timeout)
    except _Stopped as stopped:
        end(child, grace)
        raise SystemExit(128 + stopped.signum) from None
    except BaseException:
        end(child, grace)
        raise
    finally:
        os.close(write)
    return subprocess.CompletedProcess(list(command), child.returncode, out, err)


def end(child: subprocess.Popen, grace: float = GRACE) -> None:
    """Stop ``child``'s process group: SIGTERM, then SIGKILL when it is still there after ``grace`` seconds."""
    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, None)):
        if child.poll() is not None:
            break
        _signal_group(child.pid, signum)
        try:
            child.communicate(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    _signal_group(child.pid, signal.SIGKILL)  # a grandchild left behind by an exited leader


def _signal_group(pid: int, signum: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(pid, signum)
        else:  # pragma: no cover - no process groups (Windows)
            os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While waiting in the main thread, SIGTERM raises :class:`_Stopped` (the handler itself waits for nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous == signal.SIG_IGN:
        yield
        return

    def stop(signum, _frame):
        raise _Stopped(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- the child's side -------------------------------------------------------------------------

def hold() -> None:
    """In a child started by :func:`run`: die as soon as the parent dies. Does nothing when started otherwise."""
    value = os.environ.pop(ENV, "")
    try:
        fd, parent = (int(part) for part in value.split(":"))
    except ValueError:
        return
    _death_signal()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        _die()
    threading.Thread(target=_watch, args=(fd,), name="lifeline", daemon=True).start()


def _death_signal() -> None:
    """Linux: ask the kernel for SIGKILL when the parent dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the pipe watcher still ends the child


def _watch(fd: int) -> None:
    try:
        while os.read(fd, 64):
            pass
    except OSError:
        pass
    _die()


def _die() -> None:
    """Kill this process's group when it leads one (it does when started by :func:`run`), then itself."""
    if hasattr(os, "killpg") and os.getpgrp() == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
