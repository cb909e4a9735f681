"""``grantdigest run`` end to end through a mirror of the fixtures, in a child process as a user runs it.

The second run finds one source's listing empty: that source is reported as failing by
``grantdigest sources``, on the site's status page and in the digest email's notice,
while the digest still goes out with the other sources' calls.
"""

from __future__ import annotations

import email
import json
import os
import socket
import subprocess
import sys
from email import policy
from pathlib import Path

import frozen_clock
import pytest
from aiosmtpd.controller import Controller
from conftest import FIXTURES

from calls.config import load_config
from digest.offline import write_config
from digest.replay import ReplayServer, exchange

SOURCES = ("eu-ftp", "euinfo-rs", "house-of-europe", "vojvodina-region")
BROKEN = "euinfo-rs"
EMPTY_LISTING = exchange("https://euinfo.rs/wp-json/wp/v2/posts?page=1", "[]",
                         headers={"Content-Type": "application/json; charset=UTF-8", "X-WP-Total": "0",
                                  "X-WP-TotalPages": "0"})

pytestmark = pytest.mark.crawl


def grantdigest(config: Path, mirror: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTDIGEST_")}
    return subprocess.run([sys.executable, "-m", "digest.cli", "--config", str(config), "--mirror", mirror, *args],
                          capture_output=True, text=True, timeout=240, check=False, env=frozen_clock.child_env(env))


def plain_text(path: Path) -> str:
    with path.open("rb") as f:
        return email.message_from_binary_file(f, policy=policy.default).get_body(("plain",)).get_content()


class Inbox:
    """Records every message the SMTP server on 127.0.0.1 accepts."""

    def __init__(self):
        self.arrived: list[tuple[tuple[str, ...], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.arrived.append((tuple(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 queued"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def inbox():
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, inbox):
    """Two ``grantdigest run``s: the fixtures as recorded, then with euinfo-rs's listing empty."""
    box, port = inbox
    folder = tmp_path_factory.mktemp("run")
    others = sorted(slug for slug in load_config(None).sources if slug not in SOURCES)
    extra = "".join(f"[sources.{slug}]\nenabled = false\n" for slug in others)
    extra += "[sources.eu-ftp.options]\npage_size = 5\n"
    extra += f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\nsender = "digest@example.org"\n'
    extra += '[health]\nalert_to = "editor@example.org"\n'
    config = write_config(folder, extra=extra)
    with ReplayServer(*(FIXTURES / slug / "mirror" for slug in SOURCES)) as server:
        first = grantdigest(config, server.url, "run")
        alerts_after_first = len(box.arrived)
        data = load_config(config).data_dir
        first_preview = plain_text(data / "email-preview" / next(
            p.name for p in (data / "email-preview").glob("*-vojvodina-sr-Latn.eml")))
        server.replace(EMPTY_LISTING)
        second = grantdigest(config, server.url, "run")
        sources = grantdigest(config, server.url, "sources", "--check")
    assert alerts_after_first == 0, "no alert while every source is healthy"
    return config, first, first_preview, second, sources


def test_first_run_publishes_site_feeds_and_email_previews(runs):
    config, first, first_preview, _, _ = runs
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    data = load_config(config).data_dir
    site = data / "site"
    assert (site / "index.html").exists() and (site / "uk" / "index.html").exists()
    feed = json.loads((site / "feeds" / "all" / "feed.json").read_text(encoding="utf-8"))
    assert len(feed["items"]) >= 10
    titles = {item["title"] for item in feed["items"]}
    assert "Renewable energy communities in rural areas (IA)" in titles
    assert any(t.startswith("Otvoren poziv za projekte prekogranične") for t in titles)
    previews = sorted(p.name for p in (data / "email-preview").glob("*.eml"))
    assert (any(n.endswith("-lviv-uk.eml") for n in previews)
            and any(n.endswith("-vojvodina-sr-Cyrl.eml") for n in previews))
    assert "Otvoren poziv za projekte prekogranične" in first_preview and BROKEN not in first_preview


def test_progress_is_plain_lines_when_not_on_a_terminal(runs):
    _, first, _, _, _ = runs
    lines = first.stdout.splitlines()
    for stage in ("crawl every enabled source", "publish the site and feeds", "prepare the emails",
                  "check source health"):
        assert any(line.endswith(f" {stage}: started") for line in lines), stage
        assert any(f" {stage}: done in " in line for line in lines), stage
    assert "\x1b[" not in first.stdout  # no colour codes in a log
    assert any("sources: 4 ok" in line for line in lines), lines[-3:]


def test_a_source_that_stops_yielding_is_failing_in_the_sources_table(runs):
    _, _, _, second, sources = runs
    assert f"{BROKEN}: failing — no calls found; the last successful run found 2" in second.stdout
    assert sources.returncode == 1  # --check
    row = next(line for line in sources.stdout.splitlines() if line.startswith(BROKEN))
    assert "FAILING" in row and "no calls found; the last successful run found 2" in row
    assert "o f" in row  # history: ok, then failed
    healthy = next(line for line in sources.stdout.splitlines() if line.startswith("eu-ftp"))
    assert " ok " in healthy and "o o" in healthy


def test_the_status_page_shows_it_failing(runs):
    config, _, _, _, _ = runs
    site = load_config(config).data_dir / "site"
    for lang in ("en", "uk", "sr-Latn"):
        status = (site / lang / "status.html").read_text(encoding="utf-8")
        row = status[status.index(f"<code>{BROKEN}</code>"):][:1200]
        assert "state-failing" in row and "the last successful run found 2" in row, lang
        ok_row = status[status.index("<code>eu-ftp</code>"):][:600]
        assert "state-ok" in ok_row


def test_the_digest_goes_out_with_a_notice(runs):
    config, _, _, second, _ = runs
    assert second.returncode == 0, second.stderr[-3000:]  # one broken source does not stop the job
    data = load_config(config).data_dir
    text = plain_text(next((data / "email-preview").glob("*-vojvodina-sr-Latn.eml")))
    notice = next(line for line in text.splitlines() if line.startswith("! "))
    assert BROKEN in notice
    assert "Renewable energy communities in rural areas (IA)" in text  # the other sources' calls still go out
    uk = plain_text(next((data / "email-preview").glob("*-lviv-uk.eml")))
    assert BROKEN in next(line for line in uk.splitlines() if line.startswith("! "))


def test_the_editor_is_alerted_by_email(runs, inbox):
    box, _ = inbox
    _, _, _, second, _ = runs
    assert "health alert sent to editor@example.org" in second.stdout
    assert len(box.arrived) == 1
    recipients, raw = box.arrived[0]
    message = email.message_from_bytes(raw, policy=policy.default)
    assert recipients == ("editor@example.org",) and message["From"] == "digest@example.org"
    assert message["Subject"] == "[grantdigest] 1 source(s) need attention (1 failing)"
    assert f"- {BROKEN} (" in message.get_content() and "FAILING — no calls found" in message.get_content()


def test_progress_on_a_terminal_numbers_the_stages_with_their_time():
    import click
    from click.testing import CliRunner

    from digest.cli import Stages

    @click.command()
    def job():
        stages = Stages(2, tty=True)
        with stages.stage("crawl"):
            click.echo("inner output")
        try:
            with stages.stage("publish"):
                raise RuntimeError("disk full")
        except RuntimeError:
            pass
        stages.finish("sources: 1 ok")

    result = CliRunner().invoke(job, color=True)
    lines = click.unstyle(result.output).splitlines()
    assert lines[:2] == ["[1/2] crawl …", "inner output"]
    assert lines[2].startswith("[1/2] crawl ✓ ") and lines[2].endswith("s")
    assert lines[3] == "[2/2] publish …" and lines[4].startswith("[2/2] publish failed after ")
    assert lines[5].startswith("sources: 1 ok (") and "in all)" in lines[5]
    assert "\x1b[32m" in result.output  # green on a terminal


def test_a_run_where_every_source_fails_still_publishes_but_exits_non_zero(tmp_path):
    others = sorted(slug for slug in load_config(None).sources if slug != "euinfo-rs")
    config = write_config(tmp_path, extra="".join(f"[sources.{slug}]\nenabled = false\n" for slug in others))
    result = grantdigest(config, f"http://127.0.0.1:{free_port()}", "run")  # nothing listens: every fetch fails
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "every enabled source failed" in result.stderr
    data = load_config(config).data_dir
    assert (data / "site" / "uk" / "status.html").is_file() and list((data / "email-preview").glob("*.eml"))
