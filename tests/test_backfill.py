"""Backfills over the daily OpenRouter series, re-runs, and runs that overlap.

A single-run backfill over the 63 bundled OpenRouter fetches must build the same warehouse as
loading the nights one run at a time (the way the nightly job does), re-running a partition must
change nothing, and the price history built from it must show the real changes and departures
of the series, checked here against the archived responses read directly, not through SQL.
Two runs started together must take turns on the DuckDB file, and a process that holds the
file must make a run wait and then fail in words.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets import ingest, normalize
from modelcompare.archive import Archive
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource, connect_waiting

warnings.filterwarnings("ignore", category=dg.BetaWarning)

REPO = Path(__file__).resolve().parent.parent
REPLAY = REPO / "replay"
OPENROUTER = next(a for a in ingest.source_assets if a.key == dg.AssetKey(["raw", "openrouter"]))
NIGHTS = Archive(REPLAY).fetch_dates("openrouter")
LLAMA_VISION = "meta-llama/llama-3.2-11b-vision-instruct"
# Gone from OpenRouter's list after the night of 2026-03-10 and never back in the bundled series.
LLAMA_GUARD = "meta-llama/llama-guard-2-8b"
# The tables a run builds from raw (and the raw tables), compared between the two ways of loading.
COMPARED = {
    "raw.observations": "*",
    "raw.responses": "*",
    "raw.source_loads": "* exclude (loaded_at)",
    "core.price_history": "*",
    "core.models": "*",
    "core.offerings": "*",
    "core.facts": "*",
    "core.source_status": "* exclude (last_attempt_at)",
}


def resources(db: Path) -> dict:
    return {
        "http": HttpResource(mode="replay", replay_dir=str(REPLAY)),
        "warehouse": WarehouseResource(path=str(db)),
        "release": ReleaseResource(export_dir=str(db.parent / "exports")),
    }


def normalize_now(instance, db: Path) -> None:
    result = dg.materialize(
        [normalize.identity, normalize.facts], instance=instance, resources=resources(db)
    )
    assert result.success


def differences(db_a: Path, db_b: Path, table: str, columns: str) -> int:
    """Rows in either table that the other lacks (multiset difference, both ways)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{db_a}' as a (read_only)")
        con.execute(f"attach '{db_b}' as b (read_only)")
        both = con.execute(
            f"select count(*) from (select {columns} from a.{table} except all"
            f" select {columns} from b.{table})"
        ).fetchone()[0]
        both += con.execute(
            f"select count(*) from (select {columns} from b.{table} except all"
            f" select {columns} from a.{table})"
        ).fetchone()[0]
        rows = con.execute(f"select count(*) from a.{table}").fetchone()[0]
    finally:
        con.close()
    assert rows > 0, f"{table} is empty"
    return both


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def archived_series() -> dict[str, dict[str, dict]]:
    """Night -> OpenRouter model id -> its entry, read straight from the archived responses."""
    archive = Archive(REPLAY)
    series = {}
    for night in NIGHTS:
        (response,) = archive.responses("openrouter", night)
        series[night] = {m["id"]: m for m in json.loads(archive.load(response).body)["data"]}
    return series


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two warehouses from the same 63 fetches: one single-run backfill, one run per night.

    The nightly one is also normalized midway, after the night of 2026-04-11, as a nightly
    publish would have been.
    """
    base = tmp_path_factory.mktemp("backfill")
    backfill_db, nightly_db = base / "backfill.duckdb", base / "nightly.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(
        [ingest.archive_index], instance=instance, resources=resources(backfill_db)
    ).success

    result = dg.materialize(
        [OPENROUTER],
        instance=instance,
        resources=resources(backfill_db),
        tags={
            "dagster/asset_partition_range_start": NIGHTS[0],
            "dagster/asset_partition_range_end": NIGHTS[-1],
        },
    )
    assert result.success
    normalize_now(instance, backfill_db)

    midway = None
    for night in NIGHTS:
        assert dg.materialize(
            [OPENROUTER], instance=instance, resources=resources(nightly_db), partition_key=night
        ).success
        if night == "2026-04-11":
            normalize_now(instance, nightly_db)
            midway = rows(
                nightly_db,
                "select num_value, valid_from, valid_to, last_seen from core.price_history"
                " where source = 'openrouter' and model_id = 'llama-3.2-11b-vision-instruct'"
                " and attribute = 'price_input' order by valid_from",
            )
    normalize_now(instance, nightly_db)
    return {
        "instance": instance,
        "backfill": backfill_db,
        "nightly": nightly_db,
        "midway": midway,
        "backfill_result": result,
    }


def test_the_series_is_what_the_archive_holds():
    # 2025-12-02, the 61 nights 2026-02-27..2026-05-01 (2026-03-08 was never recorded), 2026-05-15.
    assert len(NIGHTS) == 63
    assert NIGHTS[0] == "2025-12-02" and NIGHTS[-1] == "2026-05-15"
    assert len([n for n in NIGHTS if "2026-02-27" <= n <= "2026-05-01"]) == 61


def test_one_backfill_run_loads_every_night(built):
    # One run; one materialization per partition, all reporting the same load.
    events = built["backfill_result"].get_asset_materialization_events()
    assert sorted(e.materialization.partition for e in events) == NIGHTS
    metadata = events[0].materialization.metadata
    assert metadata["num_fetches"].value == 63
    assert metadata["urls"].value == ["https://openrouter.ai/api/v1/models"]
    assert metadata["dagster/row_count"].value == sum(
        r[0] for r in rows(built["backfill"], "select count(*) from raw.observations")
    )
    loads = rows(
        built["backfill"],
        "select count(*), count(distinct fetch_date) from raw.source_loads"
        " where source = 'openrouter' and status = 'ok'",
    )
    assert loads == [(63, 63)]
    # Every bundled night's records, as the source listed them.
    series = archived_series()
    counts = dict(
        rows(
            built["backfill"],
            "select strftime(fetch_date, '%Y-%m-%d'), num_records from raw.source_loads"
            " where source = 'openrouter'",
        )
    )
    assert counts == {night: len(models) for night, models in series.items()}


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_backfill_builds_the_same_tables_as_the_nights_one_by_one(built, table):
    assert differences(built["backfill"], built["nightly"], table, COMPARED[table]) == 0


def test_history_finds_the_real_price_change_of_llama_vision(built):
    # The archived series itself: 0.049 USD per million input tokens until 2026-04-10,
    # 0.245 from 2026-04-11 (OpenRouter states USD per token).
    series = archived_series()
    stated = [
        (night, series[night][LLAMA_VISION]["pricing"]["prompt"])
        for night in NIGHTS
        if LLAMA_VISION in series[night]
    ]
    changes = [stated[0]] + [b for a, b in zip(stated, stated[1:], strict=False) if a[1] != b[1]]
    assert changes == [("2025-12-02", "0.000000049"), ("2026-04-11", "0.000000245")]

    history = rows(
        built["backfill"],
        "select num_value, valid_from, valid_to, last_seen from core.price_history"
        " where source = 'openrouter' and model_id = 'llama-3.2-11b-vision-instruct'"
        " and provider_id = 'openrouter' and attribute = 'price_input' and tier_min_tokens = 0"
        " order by valid_from",
    )
    assert history == [
        (
            decimal.Decimal("0.049"),
            dt.date(2025, 12, 2),
            dt.date(2026, 4, 11),
            dt.date(2026, 4, 10),
        ),
        (decimal.Decimal("0.245"), dt.date(2026, 4, 11), None, dt.date(2026, 5, 15)),
    ]


def test_history_grows_night_by_night(built):
    # Normalized right after the night of 2026-04-11, the new price was open-ended and seen once.
    assert built["midway"] == [
        (
            decimal.Decimal("0.049"),
            dt.date(2025, 12, 2),
            dt.date(2026, 4, 11),
            dt.date(2026, 4, 10),
        ),
        (decimal.Decimal("0.245"), dt.date(2026, 4, 11), None, dt.date(2026, 4, 11)),
    ]


def test_history_finds_the_nights_on_which_prices_changed(built):
    """The nights a listed price changed, from SQL, against the archived series read directly."""
    series = archived_series()

    def prices(entry):
        pricing = entry["pricing"]
        return (pricing.get("prompt"), pricing.get("completion"), pricing.get("input_cache_read"))

    archived = set()
    for before, night in zip(NIGHTS, NIGHTS[1:], strict=False):
        common = set(series[before]) & set(series[night])
        if any(prices(series[before][m]) != prices(series[night][m]) for m in common):
            archived.add(dt.date.fromisoformat(night))
    found = {
        r[0]
        for r in rows(
            built["backfill"],
            "select distinct h.valid_from from core.price_history as h"
            " where h.source = 'openrouter' and h.basis = 'fetch_series' and exists ("
            "   select 1 from core.price_history as p where p.offering_id = h.offering_id"
            "   and p.attribute = h.attribute and p.tier_min_tokens = h.tier_min_tokens"
            "   and p.source = h.source and p.valid_to = h.valid_from"
            "   and p.num_value <> h.num_value)",
        )
    }
    # 49 of the 62 nights after the first changed a listed price; SQL finds exactly those.
    assert len(archived) == 49
    assert found == archived
    assert dt.date(2026, 4, 11) in found
    assert dt.date(2026, 3, 10) not in found  # nothing changed that night


def test_a_model_that_left_keeps_its_last_seen_night(built):
    series = archived_series()
    seen = [night for night in NIGHTS if LLAMA_GUARD in series[night]]
    assert seen[-1] == "2026-03-10" and LLAMA_GUARD not in series["2026-03-11"]

    (offering,) = rows(
        built["backfill"],
        "select o.last_seen, o.listed_now, m.last_seen, o.first_seen from core.offerings as o"
        " inner join core.models as m using (model_id)"
        " where list_contains(o.raw_ids, ?) and o.provider_id = 'openrouter'",
        [LLAMA_GUARD],
    )
    assert offering == (dt.date(2026, 3, 10), False, dt.date(2026, 3, 10), dt.date(2025, 12, 2))
    # Its prices end on the first night without it (valid_to is exclusive).
    ends = rows(
        built["backfill"],
        "select distinct h.valid_to from core.price_history as h inner join core.offerings as o"
        " using (offering_id) where list_contains(o.raw_ids, ?) and h.source = 'openrouter'"
        " and h.last_seen = '2026-03-10'",
        [LLAMA_GUARD],
    )
    assert ends == [(dt.date(2026, 3, 11),)]
    # And it is not the only one: every model id the archive lists last before 2026-05-15
    # has no offering listed now.
    gone = {m for night in NIGHTS[:-1] for m in series[night]} - set(series[NIGHTS[-1]])
    listed_now = {
        r[0]
        for r in rows(
            built["backfill"],
            "select unnest(raw_ids) from core.offerings where listed_now"
            " and provider_id = 'openrouter'",
        )
    }
    assert len(gone) == 126
    # A gone id whose offering is still listed is one that folds into a listed sibling
    # (a ':free' twin, say); the rest are all marked as no longer listed.
    assert len(gone & listed_now) <= 3


def test_rerunning_a_partition_changes_nothing(built, tmp_path):
    db = built["backfill"]
    before = {
        table: rows(db, f"select {columns} from {table} order by all")
        for table, columns in COMPARED.items()
        if table != "raw.source_loads"
    }
    assert dg.materialize(
        [OPENROUTER],
        instance=built["instance"],
        resources=resources(db),
        partition_key="2026-04-11",
    ).success
    normalize_now(built["instance"], db)
    for table, old in before.items():
        assert rows(db, f"select {COMPARED[table]} from {table} order by all") == old, table
    # The re-run is recorded as one more load of that night, nothing else.
    assert rows(
        db,
        "select count(*) from raw.source_loads where source = 'openrouter'"
        " and fetch_date = '2026-04-11' and status = 'ok'",
    ) == [(2,)]


# --- runs that overlap ---------------------------------------------------------------------
def _cli_env(home: Path, db: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DAGSTER_HOME=str(home),
        MODELCOMPARE_DUCKDB=str(db),
        MODELCOMPARE_EXPORT_DIR=str(db.parent / "exports"),
        MODELCOMPARE_MODE="replay",
        MODELCOMPARE_REPLAY_DIR=str(REPLAY),
        DAGSTER_DG_UPDATE_CHECK_ENABLED="0",
        PYTHONPATH=str(REPO),  # this checkout's code, whatever an editable install points at
    )
    return env


def _dagster_home(tmp_path: Path) -> Path:
    """A DAGSTER_HOME made by scripts/dagster-home, as scripts/refresh makes its own."""
    home = tmp_path / "home"
    out = subprocess.run(
        [str(REPO / "scripts" / "dagster-home")],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(home)
    return home


def test_dagster_home_limits_runs_and_the_warehouse_pool_to_one(tmp_path):
    home = _dagster_home(tmp_path)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        config = instance.get_concurrency_config()
        assert config.pool_config.default_pool_limit == 1
        assert config.run_queue_config.max_concurrent_runs == 1
        assert not instance.telemetry_enabled


def _step_events(instance, run_id: str) -> dict[str, list]:
    events = {}
    for entry in instance.all_logs(run_id):
        if entry.dagster_event is not None:
            events.setdefault(entry.dagster_event.event_type_value, []).append(entry)
    return events


def test_a_second_run_waits_for_the_warehouse_pool(tmp_path):
    """A CLI run starts while another is loading: its step waits for the first one's to end
    (pool 'warehouse', limit 1 in the instance), and both succeed on the same DuckDB file."""
    home = _dagster_home(tmp_path)
    db = tmp_path / "w.duckdb"
    env = _cli_env(home, db)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions("fetch_dates", NIGHTS)
    dagster = str(Path(sys.executable).parent / "dagster")

    def launch(first: str, last: str) -> subprocess.Popen:
        return subprocess.Popen(
            [dagster, "asset", "materialize", "-m", "pipelines.definitions",
             "--select", "key:raw/openrouter", "--partition-range", f"{first}...{last}"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip

    procs = [launch(NIGHTS[0], NIGHTS[44])]
    try:
        # Start the second run once the first one's step holds the pool.
        deadline = time.monotonic() + 120
        with dg.DagsterInstance.from_config(str(home)) as instance:
            while time.monotonic() < deadline and procs[0].poll() is None:
                records = instance.get_run_records()
                if records and "STEP_START" in _step_events(
                    instance, records[0].dagster_run.run_id
                ):
                    break
                time.sleep(0.2)
        procs.append(launch(NIGHTS[45], NIGHTS[62]))
        outputs = [p.communicate(timeout=300)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    assert [p.returncode for p in procs] == [0, 0], outputs[0][-2000:] + outputs[1][-2000:]

    with dg.DagsterInstance.from_config(str(home)) as instance:
        spans = []
        for record in instance.get_run_records():
            events = _step_events(instance, record.dagster_run.run_id)
            blocked = [
                e for e in events.get("ENGINE_EVENT", [])
                if "blocked by limit for pool warehouse" in (e.dagster_event.message or "")
            ]  # fmt: skip
            spans.append(
                (events["STEP_START"][0].timestamp, events["STEP_SUCCESS"][0].timestamp, blocked)
            )
    spans.sort(key=lambda span: span[0])
    assert len(spans) == 2
    (first_start, first_end, first_blocked), (second_start, _, second_blocked) = spans
    # The later run said it was blocked by the pool, and its step began only when the first
    # one's had ended: the two never wrote the file at the same time.
    assert not first_blocked and second_blocked
    assert second_start >= first_end
    assert rows(
        db,
        "select count(distinct fetch_date) from raw.source_loads"
        " where source = 'openrouter' and status = 'ok'",
    ) == [(63,)]


def test_a_locked_warehouse_makes_a_run_wait_then_fail_in_words(tmp_path):
    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time, duckdb
            con = duckdb.connect({str(db)!r})
            print("holding", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(dg.Failure) as failure:
            connect_waiting(str(db), timeout_s=1.5)
        waited = time.monotonic() - started
        assert 1.5 <= waited < 10
        message = failure.value.description
        assert str(db) in message and "stayed locked for 2 s" in message
        assert f"PID {holder.pid}" in message
        assert "let it finish or close it" in message
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # Once the holder is gone the same call opens it at once.
    con = connect_waiting(str(db), timeout_s=1.5)
    con.close()
