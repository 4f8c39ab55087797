"""The Dagster UI for real: `dagster dev` on 127.0.0.1, a backfill through GraphQL, Chromium.

The test starts `dagster dev` (webserver, daemon, code server) with a throwaway DAGSTER_HOME
made by scripts/dagster-home (telemetry and the welcome modal off, one run and one warehouse
step at a time) in which the archive's fetch dates are registered as partitions, launches a
backfill of two OpenRouter nights with `launchPartitionBackfill` as the UI's "Materialize"
dialog does, waits for it to succeed, checks what it loaded, and saves screenshots of the asset
graph and the source's partitions under test-artifacts/ (gitignored). The server, the daemon,
the code servers and the browser are all stopped by the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from modelcompare.archive import Archive

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
NIGHTS = ["2026-04-10", "2026-04-11"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEADLINE_S = 85  # the whole test, start to stop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dev:
    """One `dagster dev` process group and a small GraphQL client for it."""

    def __init__(self, root: Path):
        self.root = root
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.home = root / "dagster_home"
        self.db = root / "warehouse.duckdb"
        subprocess.run(
            [str(REPO / "scripts" / "dagster-home")],
            env={**os.environ, "DAGSTER_HOME": str(self.home)},
            check=True,
            capture_output=True,
        )
        self.env = {
            **os.environ,
            "DAGSTER_HOME": str(self.home),
            "DAGSTER_DG_UPDATE_CHECK_ENABLED": "0",
            "MODELCOMPARE_MODE": "replay",
            "MODELCOMPARE_REPLAY_DIR": str(REPO / "replay"),
            "MODELCOMPARE_DUCKDB": str(self.db),
            "MODELCOMPARE_EXPORT_DIR": str(root / "exports"),
            "PYTHONPATH": str(REPO),  # this checkout's code, whatever an editable install says
        }
        # The archive's fetch dates as partitions, as archive_job registers them (that job is
        # tested in test_definitions.py; here it would only add a queued run's wait).
        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            instance.add_dynamic_partitions("fetch_dates", Archive(REPO / "replay").fetch_dates())
        self.log = (root / "dagster-dev.log").open("w")
        dagster = str(Path(sys.executable).parent / "dagster")
        # env --default-signal=INT: a background process otherwise inherits SIGINT ignored, and
        # dagster dev would then ignore SIGTERM too (see DAGSTER-NOTES, stopping dagster dev).
        self.proc = subprocess.Popen(
            ["env", "--default-signal=INT", dagster, "dev", "-w", "workspace.yaml",
             "-h", "127.0.0.1", "-p", str(self.port)],
            cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def log_tail(self, n: int = 60) -> str:
        self.log.flush()
        lines = (self.root / "dagster-dev.log").read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log_tail()
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise AssertionError(f"dagster dev not ready in {timeout:.0f} s\n{self.log_tail()}")

    def gql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            body = json.loads(r.read())
        assert "errors" not in body, body
        return body["data"]

    def stop(self) -> list[str]:
        """SIGTERM to `dagster dev`, which stops its webserver, daemon and code servers; then
        SIGKILL whatever of its process group is still running. Returns what had to be killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        left = _wait_group_gone(self.proc.pid, timeout=15)
        if left:
            os.killpg(self.proc.pid, signal.SIGKILL)
            _wait_group_gone(self.proc.pid, timeout=10)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self.log.close()
        return left


def _group_members(pgid: int) -> list[str]:
    """Running (not zombie) processes of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(stat.parent.name)
    return members


def _wait_group_gone(pgid: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := _group_members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.3)
    return left


LAUNCH_BACKFILL = """
mutation ($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidSubsetError { message }
  }
}
"""
BACKFILL_STATUS = """
query ($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions partitionNames }
  }
}
"""
PARTITION_STATS = """
query {
  assetNodeOrError(assetKey: {path: ["raw", "openrouter"]}) {
    ... on AssetNode {
      partitionStats { numMaterialized numFailed numPartitions }
      internalFreshnessPolicy {
        __typename
        ... on TimeWindowFreshnessPolicy { failWindowSeconds warnWindowSeconds }
      }
    }
  }
}
"""
BACKFILL_RUNS = """
query ($id: String!) {
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""


def _wait(deadline: float, what: str, probe, dev: Dev):
    while time.monotonic() < deadline:
        value = probe()
        if value is not None:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}\n{dev.log_tail()}")


def _screenshot(url: str, path: Path, profile: Path) -> None:
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,900",
         "--virtual-time-budget=15000", f"--screenshot={path}", url],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def _dom(url: str, profile: Path) -> str:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--window-size=1400,900",
         "--virtual-time-budget=15000", "--dump-dom", url],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.fixture
def dev():
    root = Path(tempfile.mkdtemp(prefix="modelcompare-ui-"))
    server = Dev(root)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert not _group_members(server.proc.pid), "dagster dev left processes behind"


def test_backfill_two_nights_from_the_ui_api_and_see_the_asset_graph(dev):
    started = time.monotonic()
    deadline = started + DEADLINE_S
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed (scripts/test installs it)"
    dev.wait_ready(timeout=60)

    # 1. A backfill of two OpenRouter nights, as the asset's "Materialize" dialog launches it.
    backfill = dev.gql(
        LAUNCH_BACKFILL,
        {
            "params": {
                "assetSelection": [{"path": ["raw", "openrouter"]}],
                "partitionNames": NIGHTS,
                "fromFailure": False,
                "title": "ui test: two OpenRouter nights",
            }
        },
    )["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill
    backfill_id = backfill["backfillId"]

    # The backfill daemon turns it into runs (every 30 s); the run queue launches them. Done
    # when its run has succeeded and both partitions are materialized. (The backfill record
    # itself is marked completed on the daemon's next pass, up to 30 s later.)
    def backfill_done():
        runs = dev.gql(BACKFILL_RUNS, {"id": backfill_id})["runsOrError"]["results"]
        assert all(r["status"] not in ("FAILURE", "CANCELED") for r in runs), dev.log_tail()
        return runs if runs and all(r["status"] == "SUCCESS" for r in runs) else None

    runs = _wait(deadline, "the backfill's run", backfill_done, dev)
    # Single-run backfill policy: one run covers both nights.
    assert len(runs) == 1
    state = dev.gql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
    assert state["status"] in ("REQUESTED", "COMPLETED", "COMPLETED_SUCCESS"), state
    assert state["numPartitions"] == 2
    assert sorted(state["partitionNames"]) == NIGHTS
    node = dev.gql(PARTITION_STATS)["assetNodeOrError"]
    stats = node["partitionStats"]
    assert (stats["numMaterialized"], stats["numFailed"]) == (2, 0)
    # The source's freshness policy as the UI reads it: warn after 26 h, fail after 2 days.
    assert node["internalFreshnessPolicy"] == {
        "__typename": "TimeWindowFreshnessPolicy",
        "failWindowSeconds": 2 * 86400,
        "warnWindowSeconds": 26 * 3600,
    }
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert (
        tags["dagster/asset_partition_range_start"],
        tags["dagster/asset_partition_range_end"],
    ) == (
        NIGHTS[0],
        NIGHTS[1],
    )

    # 2. It loaded exactly those nights into the warehouse.
    with duckdb.connect(str(dev.db), read_only=True) as con:
        loads = con.execute(
            "select strftime(fetch_date, '%Y-%m-%d'), status, num_records from raw.source_loads"
            " where source = 'openrouter' order by 1"
        ).fetchall()
    assert loads == [("2026-04-10", "ok", 350), ("2026-04-11", "ok", 350)]

    # 3. The asset graph (the four stages, then the ingest group's assets) and the source's
    # partitions, in headless Chromium; what each page shows is read back from its DOM.
    ARTIFACTS.mkdir(exist_ok=True)
    profile = dev.root / "chromium-profile"
    pages = {
        "ui-asset-graph.png": (
            f"{dev.url}/asset-groups",
            ["Global asset lineage", "ingest", "normalize", "compare", "publish"],
        ),
        "ui-ingest-graph.png": (
            f"{dev.url}/locations/pipelines/asset-groups/ingest",
            ["archive_index", "openrouter", "models_dev", "identity"],
        ),
        "ui-openrouter-partitions.png": (
            f"{dev.url}/assets/raw/openrouter?view=partitions",
            [],  # a screenshot only: the GraphQL checks above already read these partitions
        ),
    }
    for name, (url, expected) in pages.items():
        if expected:
            text = _dom(url, profile)
            for word in expected:
                assert word in text, f"{word!r} is not on {url}"
        png = ARTIFACTS / name
        _screenshot(url, png, profile)
        assert _png_size(png) == (1400, 900)
        assert png.stat().st_size > 30_000  # a rendered page, not a blank one
    assert time.monotonic() - started < DEADLINE_S
