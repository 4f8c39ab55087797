"""Price history from fetches: the two recorded OpenRouter snapshots give Llama 3.2 11B Vision's
OpenRouter price as two dated rows, and "price as of D" is a query over them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from modelcompare.archive import Archive
from tests.conftest import load_recorded
from tests.harness import rows, run_pipeline


def test_two_snapshots_give_two_dated_rows(tmp_path):
    archive = Archive(tmp_path / "archive")
    for day in ("2025-12-02", "2026-05-15"):
        archive.put(load_recorded("openrouter", fetch_date=day))
    con = run_pipeline(archive, tmp_path / "w.duckdb")
    history = rows(
        con,
        "select num_value, valid_from, valid_to, source from core.price_history"
        " where model_id = 'llama-3.2-11b-vision-instruct' and provider_id = 'openrouter'"
        " and attribute = 'price_input' order by valid_from",
    )
    assert history == [
        {"num_value": Decimal("0.049"), "valid_from": dt.date(2025, 12, 2),
         "valid_to": dt.date(2026, 5, 15), "source": "openrouter"},
        {"num_value": Decimal("0.245"), "valid_from": dt.date(2026, 5, 15),
         "valid_to": None, "source": "openrouter"},
    ]  # fmt: skip
    as_of = rows(
        con,
        "select num_value from core.price_history where model_id = 'llama-3.2-11b-vision-instruct'"
        " and provider_id = 'openrouter' and attribute = 'price_output'"
        " and valid_from <= ? and (valid_to is null or valid_to > ?)",
        [dt.date(2026, 1, 15), dt.date(2026, 1, 15)],
    )
    assert as_of == [{"num_value": Decimal("0.049")}]


def test_a_model_gone_from_the_newer_snapshot_keeps_its_last_seen_date(tmp_path):
    # Magistral Small 2506 is in the 2025-12-02 list and not in the 2026-05-15 one.
    archive = Archive(tmp_path / "archive")
    for day in ("2025-12-02", "2026-05-15"):
        archive.put(load_recorded("openrouter", fetch_date=day))
    con = run_pipeline(archive, tmp_path / "w.duckdb")
    (offering,) = rows(
        con,
        "select last_seen, listed_now from core.offerings where model_id = 'magistral-small-2506'"
        " and provider_id = 'openrouter' and variant is null",
    )
    assert offering == {"last_seen": dt.date(2025, 12, 2), "listed_now": False}
    (price,) = rows(
        con,
        "select num_value, valid_from, valid_to from core.price_history"
        " where model_id = 'magistral-small-2506' and attribute = 'price_input'",
    )
    assert price == {"num_value": Decimal("0.5"), "valid_from": dt.date(2025, 12, 2),
                     "valid_to": dt.date(2026, 5, 15)}  # fmt: skip
    assert rows(
        con, "select count(*) as n from core.models where model_id = 'magistral-small-2506'"
    ) == [{"n": 1}]
