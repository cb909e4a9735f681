"""The run's frozen clock (tests/frozen_clock.py): this process and its Python children read the same instant."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import frozen_clock
import pytest


def test_this_process_runs_on_the_frozen_clock():
    now = datetime.now(UTC)
    assert frozen_clock.NOW <= now < frozen_clock.NOW + timedelta(hours=2)  # started at NOW, ticking since


def test_a_child_started_with_child_env_reads_the_same_instant():
    code = "from datetime import datetime, UTC; print(datetime.now(UTC).isoformat())"
    before = datetime.now(UTC)
    done = subprocess.run([sys.executable, "-c", code], env=frozen_clock.child_env(), capture_output=True, text=True,
                          timeout=60, check=True)
    after = datetime.now(UTC)
    child = datetime.fromisoformat(done.stdout.strip())
    assert before - timedelta(seconds=1) <= child <= after + timedelta(seconds=1), (before, child, after)


def test_children_of_children_follow_through_the_inherited_environment():
    inner = "from datetime import datetime, UTC; print(datetime.now(UTC).isoformat())"
    code = (f"import subprocess, sys; print(subprocess.run([sys.executable, '-c', {inner!r}], "
            "capture_output=True, text=True).stdout)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    grandchild = datetime.fromisoformat(done.stdout.strip())
    assert abs(grandchild - datetime.now(UTC)) < timedelta(seconds=30)


@pytest.mark.parametrize("value, expected", [
    (None, frozen_clock.DEFAULT_NOW),
    ("2026-11-29T20:00:00+00:00", datetime(2026, 11, 29, 20, tzinfo=UTC)),
    ("2027-01-04T00:30:00+02:00", datetime(2027, 1, 3, 22, 30, tzinfo=UTC)),
])
def test_frozen_now_option_values(value, expected):
    assert frozen_clock.parse(value) == expected


def test_frozen_now_needs_an_offset():
    with pytest.raises(ValueError, match="offset"):
        frozen_clock.parse("2026-11-29T20:00:00")


def test_real_now_reads_the_system_clock_for_c_code():
    """real_now() is ahead of (or behind) the frozen clock by exactly the run's offset."""
    import os

    frozen, real = (float(part) for part in os.environ[frozen_clock.ENV].split())
    drift = frozen_clock.real_now().timestamp() - datetime.now(UTC).timestamp()
    assert abs(drift - (real - frozen)) < 5
