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
