"""A refresh killed with SIGKILL at random points, 20 times, never breaks what it leaves behind.

Each refresh runs in its own process (``tests/hostile/refresh_child.py``: the three Dagster
runs of ``scripts/refresh``, replay mode, on a small archive with a temporary warehouse and
export folder). A first run, on a warm warehouse like all the others, is timed by its
phases; the kill delays are then spread over that time (stratified: one in each twentieth,
at a random point inside it, from a seeded RNG), so kills land while Python starts, while
sources load into DuckDB, while facts are rebuilt and while the release is written and
switched. After every kill:

- the DuckDB file opens and answers a query (its write-ahead log replays);
- ``current`` points at a whole release (every file its manifest lists, with that hash and
  size, and nothing more): the one before the killed run, or the one it finished switching to;
- the next run, uninterrupted, finishes cleanly and publishes a new whole release. It runs in
  this process (the same three Dagster runs), which saves starting Python and Dagster twenty
  more times.

Every run judges facts at a different as-of date, so every run has a new release to write.
The child and any helper process it starts are one process group, killed together by id.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb

from tests.hostile import inputs
from tests.hostile.pipeline import Layout, refresh, whole_release

REPO = Path(__file__).resolve().parent.parent
KILLS = 20
SEED = 20261204
RUN_TIMEOUT_S = 240  # one uninterrupted run; far above its few seconds
FIRST_AS_OF = dt.date(2026, 5, 2)


def _archive(layout: Layout) -> None:
    published = [
        {"id": "mistralai/magistral-small-2509", "name": "Magistral Small 1.2",
         "context_length": 40000, "pricing": {"prompt": "0.0000005", "completion": "0.0000015"}},
        {"id": "mistralai/magistral-small-2506", "name": "Magistral Small 1.0",
         "context_length": 40000, "pricing": {"prompt": "0.0000005", "completion": "0.000002"}},
    ]  # fmt: skip
    layout.put(
        "openrouter", "https://openrouter.ai/api/v1/models", inputs.openrouter_models(published)
    )
    genai = (
        "id: aws\nmodels:\n  - id: magistral-small-2509\n    match: {equals: magistral-small-2509}"
        "\n    prices: {input_mtok: 0.5, output_mtok: 1.5}\n"
    )
    layout.put(
        "genai_prices",
        "https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/providers/aws.yml",
        genai.encode(),
    )


class Child:
    """One refresh process; its output lines are collected with the time they arrived."""

    def __init__(self, root: Path, as_of: dt.date, env: dict):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.hostile.refresh_child", str(root), as_of.isoformat()],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, so a kill takes its helpers too
        )
        self.lines: list[tuple[float, str]] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.monotonic() - self.started, line.strip()))
        self.stderr = self.proc.stderr.read()

    def finish(self) -> str:
        """Wait for a clean end; the id of the release it published."""
        try:
            code = self.proc.wait(timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"a refresh took more than {RUN_TIMEOUT_S} s") from None
        self._reader.join(timeout=30)
        assert code == 0, self.stderr[-3000:]
        published = [text for _, text in self.lines if text.startswith("published ")]
        assert published, self.lines
        return published[-1].split()[1]

    def kill_after(self, delay: float) -> str:
        """SIGKILL the process group after ``delay`` seconds (unless it ended first); returns
        the phase it was in."""
        try:
            self.proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reader.join(timeout=30)
        phases = [text.split()[1] for _, text in self.lines if text.startswith("phase ")]
        if any(text.startswith("published ") for _, text in self.lines):
            return "after publishing"
        return phases[-1] if phases else "starting"

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def _clean_run(layout: Layout, as_of: dt.date) -> str:
    """One uninterrupted refresh in this process; the id of the release it published."""
    with dg.DagsterInstance.ephemeral() as instance:
        outcome = refresh(layout, instance, as_of=as_of.isoformat(), only_archived=True)
    assert "publish__release" in outcome.succeeded_steps, outcome.failed_steps
    return (layout.exports / "current").resolve().name


def _warehouse_opens(db: Path) -> int:
    con = duckdb.connect(str(db))  # read-write: a killed writer's WAL is replayed here
    try:
        return con.execute("select count(*) from raw.observations").fetchone()[0]
    finally:
        con.close()


def test_sigkill_at_random_points_leaves_a_warehouse_that_opens_and_a_whole_release(
    tmp_path, record_property
):
    layout = Layout(tmp_path / "run")
    _archive(layout)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),  # this checkout, whatever the venv's editable install points at
        "DAGSTER_HOME": str(home),
        "DAGSTER_DG_UPDATE_CHECK_ENABLED": "0",
    }
    as_of = iter(FIRST_AS_OF + dt.timedelta(days=n) for n in range(10 * KILLS))

    _clean_run(layout, next(as_of))  # the warehouse and a first release exist from here on
    first = Child(layout.root, next(as_of), env)  # timed as every killed run will be
    previous = first.finish()
    total = first.lines[-1][0]
    work = first.lines[0][0]  # when the imports were done and the first phase began
    assert whole_release(layout.exports)[0] == previous

    rng = random.Random(SEED)
    start = work * 0.8  # a kill or two lands while Python is still starting
    end = total * 0.95  # runs vary a little; a delay past the end would kill nothing
    delays = [start + (end - start) * (i + rng.random()) / KILLS for i in range(KILLS)]
    landed = collections.Counter()
    rows = _warehouse_opens(layout.db)
    for delay in delays:
        landed[Child(layout.root, next(as_of), env).kill_after(delay)] += 1

        assert _warehouse_opens(layout.db) == rows  # same archive: same raw rows
        killed_release, _ = whole_release(layout.exports)
        index = json.loads((layout.exports / "current" / "v1" / "index.json").read_bytes())
        assert index["release_id"] == killed_release
        assert killed_release == previous or index["previous_release_id"] == previous

        published = _clean_run(layout, next(as_of))
        assert whole_release(layout.exports)[0] == published != killed_release
        previous = published

    # the kills really were spread over the run
    record_property("kills_by_phase", json.dumps(dict(landed), sort_keys=True))
    assert sum(landed.values()) == KILLS
    assert len(landed) >= 3 and landed["publish"] >= 4, dict(landed)
