"""The three kill tests of issue #18: a killed crawl leaves no crawler, a reader always sees a whole site
and a killed build leaves nothing behind, a killed send gives nobody two copies and skips nobody.

Each test synchronises on what it can observe (a request arriving, a marker file, the SMTP server holding
a message); timeouts are only bounds on failure.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from send_harness import EXPECTED, SECRET, SECRET_ENV, WEEK, crawled_fixture, mailroom_fixture, rows, smtp_fixture
from site_fixtures import NOW, make_store
from site_pages import build

from calls.store import INTERRUPTED_REASON, Outcome, Store
from digest.approval import approve
from digest.cli import cli
from digest.offline import write_config
from digest.send import SENDING, Ledger

__all__ = ["crawled_fixture", "mailroom_fixture", "smtp_fixture"]  # fixtures used by name below
LINUX_PROC = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds processes through /proc")
TESTS = Path(__file__).parent


# -- processes, as /proc shows them ---------------------------------------------------------------------

def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of ``pid``; None when there is no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        status = proc_stat(int(entry.name)) if entry.name.isdigit() else None
        if status and status[1] == pid and status[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    status = proc_stat(pid)
    return status is not None and status[0] not in ("Z", "X")


def mentioning(text: str) -> list[int]:
    """Live processes whose command line holds ``text`` (a test's own config path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if text in cmdline and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def wait_for(predicate, bound: float = 60.0) -> bool:
    """Poll ``predicate`` until it holds; False after ``bound`` seconds (a failure bound, not a pace)."""
    deadline = time.monotonic() + bound
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# -- 1. a killed crawl ----------------------------------------------------------------------------------

class HeldServer(ThreadingHTTPServer):
    """Every request is held until ``release`` is set, then answered 404; ``asked`` is set by the first."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), HeldHandler)
        self.asked, self.release, self.requests = threading.Event(), threading.Event(), []


class HeldHandler(BaseHTTPRequestHandler):
    def _hold(self):
        self.server.requests.append(self.path)
        self.server.asked.set()
        self.server.release.wait(120)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = _hold

    def log_message(self, *args):
        pass


@pytest.fixture
def held_server():
    server = HeldServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@LINUX_PROC
@pytest.mark.crawl
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_killing_grantdigest_crawl_ends_its_crawler_and_the_next_start_closes_the_run(tmp_path, held_server, signum):
    config = write_config(tmp_path)
    url = f"http://127.0.0.1:{held_server.server_address[1]}"
    command = [sys.executable, "-m", "digest.cli", "--config", str(config), "--mirror", url, "crawl", "eu-ftp"]
    with (tmp_path / "cli.log").open("w") as log:
        parent = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert held_server.asked.wait(120), (tmp_path / "cli.log").read_text()
        (crawler,) = children(parent.pid)  # python -m pipelines.run, in the middle of its first request
        store = Store.open(f"sqlite:///{tmp_path / 'grantdigest.db'}")
        (run,) = store.runs("eu-ftp")
        assert run.outcome == Outcome.RUNNING and run.stats["owner"]["pid"] == crawler
        os.kill(parent.pid, signum)
        assert parent.wait(60) in (-signal.SIGKILL, 128 + signal.SIGTERM)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    assert wait_for(lambda: not alive(crawler)), f"crawler {crawler} outlived grantdigest crawl"
    held_server.release.set()  # the held request is answered now: nobody is left to read it
    assert mentioning(str(config)) == []
    (after,) = store.runs("eu-ftp")
    assert store.count_calls() == 0
    if signum == signal.SIGKILL:  # nobody finished the run or wrote anything since the kill
        assert after == run
    else:  # SIGTERM: the crawler had its grace to close the run, or was killed after it
        assert after.outcome in (Outcome.RUNNING, Outcome.FAILED, Outcome.DEGRADED)

    shown = CliRunner().invoke(cli, ["--config", str(config), "sources", "eu-ftp"], catch_exceptions=False)
    (closed,) = store.runs("eu-ftp")
    if after.outcome == Outcome.RUNNING:
        assert closed.outcome == Outcome.INTERRUPTED and closed.reason == INTERRUPTED_REASON
        assert "interrupted" in shown.output and INTERRUPTED_REASON in shown.output
        assert shown.output.splitlines()[-1].split()[3] == "DEGRADED"  # health column, shouted as the table does
    store.close()


# -- 2. a reader during builds, and a killed build ----------------------------------------------------------

def test_a_reader_polling_index_html_never_misses_it_across_builds(tmp_path, monkeypatch):
    store = make_store(tmp_path)
    out = tmp_path / "public"
    build(store, out)
    from digest.site import swap

    flips, real_replace = [], os.replace

    def replace(source, target, *args, **kwargs):  # the site is whole just before and just after the one rename
        if Path(target) == out:
            flips.append((out / "index.html").read_bytes().rstrip().endswith(b"</html>"))
        real_replace(source, target, *args, **kwargs)
        if Path(target) == out:
            flips.append((out / "index.html").read_bytes().rstrip().endswith(b"</html>"))

    monkeypatch.setattr(swap.os, "replace", replace)
    stop, reads, misses = threading.Event(), [0], []

    def reader():
        while not stop.is_set():
            try:
                body = (out / "index.html").read_bytes()
            except OSError as error:
                misses.append(repr(error))
                continue
            if not body.rstrip().endswith(b"</html>"):
                misses.append(f"a partial index.html of {len(body)} bytes")
            reads[0] += 1

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        for day in range(1, 5):
            before = reads[0]
            build(store, out, now=NOW + timedelta(hours=day))
            assert wait_for(lambda b=before: reads[0] > b)  # the reader ran during this build
    finally:
        stop.set()
        thread.join(30)
    assert misses == [] and reads[0] > 4
    assert flips == [True] * 8  # four builds, one rename each, a whole site on either side
    assert out.is_symlink()
    store.close()


BUILD_THAT_STALLS = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from site_fixtures import NOW
from site_pages import build
from calls.store import Store
from digest.site import incremental

real, written = incremental.Writer.write, []

def write(self, relpath, data, fingerprint=None):
    result = real(self, relpath, data, fingerprint)
    written.append(relpath)
    if len(written) == 40:  # well into the build: tell the test where, then wait to be killed
        Path({marker!r}).write_text(str(self.staging))
        time.sleep(3600)
    return result

incremental.Writer.write = write
build(Store.open({url!r}), Path({out!r}), now=NOW)
"""


def world_readable(root: Path) -> list[str]:
    """Paths under ``root`` (followed through its link) that others cannot read (or, folders, enter)."""
    bad = []
    for folder, dirs, files in os.walk(root.resolve()):
        for path in [Path(folder), *(Path(folder) / d for d in dirs), *(Path(folder) / f for f in files)]:
            mode = path.stat().st_mode
            need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
            if mode & need != need or stat.S_IMODE(mode) not in (0o755, 0o644):
                bad.append(f"{path.relative_to(root.resolve())}: {oct(stat.S_IMODE(mode))}")
    return bad


@LINUX_PROC
def test_a_build_killed_midway_leaves_the_site_whole_and_the_next_build_leaves_no_leftovers(tmp_path):
    previous_umask = os.umask(0o077)  # a building process that makes everything private
    try:
        store = make_store(tmp_path)
        out = tmp_path / "public"
        build(store, out)
        first = out.resolve()
        index = (out / "index.html").read_bytes()
        marker = tmp_path / "midway"
        script = BUILD_THAT_STALLS.format(tests=str(TESTS), marker=str(marker), out=str(out),
                                          url=f"sqlite:///{tmp_path / 'site.db'}")
        child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE)
        try:
            assert wait_for(lambda: marker.exists() and marker.read_text(), 300), child.stderr
            staging = Path(marker.read_text())
            assert staging.is_dir() and staging.parent == tmp_path / ".public.generations"
            child.send_signal(signal.SIGKILL)
            child.wait(60)
        finally:
            if child.poll() is None:
                child.kill()
            child.communicate()
        assert out.resolve() == first and (out / "index.html").read_bytes() == index  # the site on show is whole
        assert staging.exists()  # the killed build's leftover…

        report = build(store, out)
        assert not staging.exists()  # …is gone after the next build
        assert report.out == out and out.is_symlink() and out.resolve() != first
        entries = sorted(p.name for p in (tmp_path / ".public.generations").iterdir())
        assert entries == sorted([".lock", first.name, out.resolve().name])  # the site and the one it replaced
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".public")] == [".public.generations"]
        build(store, out)  # the replaced one goes with the build after
        assert not first.exists() and len(list((tmp_path / ".public.generations").iterdir())) == 3
        assert world_readable(out) == []  # must-show of #16: every file and folder is world-readable
        assert stat.S_IMODE((tmp_path / ".public.generations").stat().st_mode) == 0o755
    finally:
        os.umask(previous_umask)
    store.close()


def test_a_published_folder_of_an_older_version_is_taken_over(tmp_path):
    store = make_store(tmp_path)
    out = tmp_path / "public"
    (out / "feeds").mkdir(parents=True)
    (out / "index.html").write_text("<html>the old site</html>")
    (tmp_path / ".public.k3j_9xq2").mkdir()  # a staging folder and an .old- folder a killed older build left
    (tmp_path / ".public.old-0a1b2c3d").mkdir()
    (tmp_path / "public-notes.txt").write_text("not ours")
    build(store, out)
    assert out.is_symlink() and "the old site" not in (out / "index.html").read_text()
    names = {p.name for p in tmp_path.iterdir() if not p.name.startswith("site.db")}
    assert names == {".public.generations", "public", "public-notes.txt"}  # the old leftovers gone, the rest kept
    build(store, out)  # the old folder, kept one build as the replaced generation, goes now
    assert [p for p in (tmp_path / ".public.generations").iterdir() if p.name.startswith("legacy-")] == []
    assert world_readable(out) == []
    store.close()


def test_umask_of_the_site_section_sets_the_modes(tmp_path):
    from site_fixtures import REGIONS

    from digest.publish import build as publish_build

    store = make_store(tmp_path)
    out = tmp_path / "public"
    publish_build(store, out, base_url="https://example.org/", regions=REGIONS, now=NOW, umask=0o027)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in out.resolve().rglob("*")}
    assert modes == {0o750, 0o640}
    store.close()


# -- 3. a killed send ----------------------------------------------------------------------------------------

@pytest.mark.crawl
def test_a_send_killed_after_the_server_took_a_message_never_sends_it_twice_nor_skips_anyone(smtp, mailroom):
    inbox, port = smtp()
    room = mailroom(port)
    store = room.store()
    approve(store, WEEK, "*", by="Olena")
    inbox.stall_after_accepting = 4  # the server takes the 4th message whole, then never answers its DATA
    command = [sys.executable, "-m", "digest.cli", "--config", str(room.config_path), "email", "--send", "--week", WEEK]
    env = {**os.environ, SECRET_ENV: SECRET}
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert inbox.held.wait(120), "the sending process never reached its fourth message"
        assert len(inbox.arrived) == 4
        (in_flight,) = [r for r in Ledger(store).rows() if r.state == SENDING]  # marked before SMTP had it
        assert in_flight.recipient == inbox.arrived[3].rcpt_tos[0]
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate()
    inbox.release.set()

    restart = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert restart.returncode == 1  # not silent: the in-flight message is named, and not sent again
    assert restart.stdout.startswith("2 sent, 3 already sent before")
    assert f"not sent again: {in_flight.digest} → {in_flight.recipient}" in restart.stderr
    assert "--resolve-in-flight" in restart.stderr
    assert len(inbox.to(in_flight.recipient)) == 1
    # the editor finds its Message-ID in the server's log: it arrived
    assert inbox.to(in_flight.recipient)[0].message["Message-ID"] == in_flight.message_id
    settle = CliRunner().invoke(cli, ["--config", str(room.config_path), "email", "--resolve-in-flight", "sent"],
                                env={SECRET_ENV: SECRET})
    assert settle.exit_code == 0 and "1 in-flight message(s) settled" in settle.output
    last = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert last.returncode == 0 and last.stdout.startswith("0 sent, 6 already sent before"), last.stderr

    delivered = [a.rcpt_tos[0] for a in inbox.arrived]
    assert sorted(delivered) == sorted(EXPECTED) and len(delivered) == len(set(delivered))  # once each, nobody left
    assert {r.state for r in rows(store).values()} == {"sent"}
    store.close()
