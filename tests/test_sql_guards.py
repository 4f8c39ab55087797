"""SQL that must not trust its input: ids that normalize to nothing, numbers too large to be
prices. Each would otherwise stop every release, not just the record that carries it."""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from modelcompare.archive import Archive, ArchivedResponse
from modelcompare.warehouse import run_sql
from tests.harness import rows, run_pipeline

FETCHED = dt.datetime(2026, 7, 24, 18, tzinfo=dt.UTC)


def test_an_id_of_separators_is_never_a_model(tmp_path):
    archive = Archive(tmp_path / "archive")
    models = {"data": [
        {"id": "x/", "name": "slash", "context_length": 1000, "pricing": {"prompt": "0.000001", "completion": "0.000001"}},
        {"id": "us..", "name": "dots", "context_length": 1000, "pricing": {"prompt": "0.000001", "completion": "0.000001"}},
        {"id": "mistralai/magistral-small-2506", "context_length": 40000, "pricing": {"prompt": "0.0000005", "completion": "0.0000015"}},
    ]}  # fmt: skip
    archive.put(
        ArchivedResponse.from_bytes(
            "openrouter",
            "https://openrouter.ai/api/v1/models",
            json.dumps(models).encode(),
            FETCHED,
        )
    )
    con = run_pipeline(archive, tmp_path / "w.duckdb")
    assert {r["model_id"] for r in rows(con, "select model_id from core.models")} == {
        "magistral-small-2506"
    }
    unmatched = {
        r["raw_id"]: r["rule"] for r in rows(con, "select raw_id, rule from core.unmatched_ids")
    }
    assert unmatched == {"x/": "unmatched", "us..": "unmatched"}


def test_a_price_too_large_is_null_not_an_error():
    con = duckdb.connect()
    run_sql(con, "create_macros.sql")
    values = con.execute(
        "select usd_per_mtok('1e20', 'usd_per_token'), usd_per_mtok('1e14', 'usd_per_token'),"
        " usd_per_mtok('1e309', 'usd_per_1k_tokens'), usd_per_mtok('0.000000049', 'usd_per_token'),"
        " usd_per_mtok('99999999999999', 'usd_per_token')"
    ).fetchone()
    assert values[:3] == (None, None, None)
    assert str(values[3]) == "0.049000000000"
    # The largest value that fits converts exactly; the magnitude flag rejects it later.
    assert str(values[4]) == "99999999999999000000.000000000000"


def test_sources_are_judged_at_the_as_of_date_not_after_it(tmp_path):
    # MODELCOMPARE_AS_OF=2026-05-15 on an archive that goes on to 2026-08-21 gave sources first
    # fetched in August "fresh" with ages of -98 days.
    from assets.normalize import write_source_specs
    from modelcompare import warehouse

    con = warehouse.connect(tmp_path / "w.duckdb")
    write_source_specs(con)
    for source, fetch_date in (("openrouter", "2026-05-10"), ("openrouter", "2026-08-21"),
                               ("genai_prices", "2026-08-21")):  # fmt: skip
        warehouse.record_load(con, source, fetch_date, "ok", 1, 1, 1)
    run_sql(con, "build_source_status.sql", {"as_of": dt.date(2026, 5, 11)})
    status = {
        r["source"]: r
        for r in rows(
            con,
            "select source, freshness, age_days, last_good_fetch_date,"
            " last_attempt_fetch_date from core.source_status",
        )  # fmt: skip
    }
    assert status["openrouter"]["freshness"] == "fresh"
    assert status["openrouter"]["age_days"] == 1
    assert str(status["openrouter"]["last_good_fetch_date"]) == "2026-05-10"
    assert status["genai_prices"]["freshness"] == "missing"
    assert status["genai_prices"]["age_days"] is None
    assert min(r["age_days"] for r in status.values() if r["age_days"] is not None) >= 0
