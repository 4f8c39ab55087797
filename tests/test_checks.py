"""Every asset check, passing on a real warehouse and failing on a damaged copy of it.

The warehouse is built once from two real OpenRouter nights (2026-03-09 and 2026-03-10, on
which no listed model left and no price changed). Each failing case damages a copy of it the
way a broken source, parser or SQL change would, and asserts that the check fails and names
the offending rows. The last tests cover the SQL that judges freshness at the as-of date.
"""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets import checks, compare, ingest, normalize
from modelcompare import warehouse
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource

warnings.filterwarnings("ignore", category=dg.BetaWarning)

REPO = Path(__file__).resolve().parent.parent
OPENROUTER = next(a for a in ingest.source_assets if a.key == dg.AssetKey(["raw", "openrouter"]))
NIGHTS = ("2026-03-09", "2026-03-10")
# The OpenRouter offering of Llama 3.2 11B Vision (resolved through the curated registry).
LLAMA_VISION = "llama-3.2-11b-vision-instruct"


def resources(db: Path) -> dict:
    return {
        "http": HttpResource(mode="replay", replay_dir=str(REPO / "replay")),
        "warehouse": WarehouseResource(path=str(db)),
        "release": ReleaseResource(export_dir=str(db.parent / "exports")),
    }


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> dict:
    db = tmp_path_factory.mktemp("checks") / "base.duckdb"
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize(
        [ingest.archive_index], instance=instance, resources=resources(db)
    ).success
    for night in NIGHTS:
        assert dg.materialize(
            [OPENROUTER], instance=instance, resources=resources(db), partition_key=night
        ).success
    assert dg.materialize(
        [normalize.identity, normalize.facts, compare.pair_facts],
        instance=instance,
        resources=resources(db),
    ).success
    return {"db": db, "instance": instance}


@pytest.fixture
def con(base, tmp_path):
    """A writable copy of the base warehouse."""
    copy = tmp_path / "w.duckdb"
    shutil.copy(base["db"], copy)
    connection = duckdb.connect(str(copy))
    yield connection
    connection.close()


def md(result: dg.AssetCheckResult, key: str = "offending") -> str:
    return result.metadata[key].value


# --- schema -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expected", [checks.IDENTITY_SCHEMA, checks.FACTS_SCHEMA, checks.PAIR_FACTS_SCHEMA]
)
def test_schema_passes_on_the_tables_the_sql_builds(con, expected):
    result = checks.evaluate_schema(con, expected)
    assert result.passed, md(result)
    assert result.metadata["num_problems"].value == 0


def test_identity_schema_fails_on_a_missing_column_and_a_changed_type(con):
    con.execute("alter table core.unmatched_ids drop column reason")
    con.execute("alter table core.id_resolution alter fetch_date type varchar")
    result = checks.evaluate_schema(con, checks.IDENTITY_SCHEMA)
    assert not result.passed
    assert result.metadata["num_problems"].value == 2
    assert "| core.unmatched_ids | reason | column missing | VARCHAR |" in md(result)
    assert "| core.id_resolution | fetch_date | type is VARCHAR | DATE |" in md(result)
    assert "core.unmatched_ids.reason: column missing" in result.description


def test_facts_schema_fails_on_a_price_turned_float_and_a_missing_table(con):
    con.execute("alter table core.facts alter num_value type double")
    con.execute("drop table core.price_history")
    result = checks.evaluate_schema(con, checks.FACTS_SCHEMA)
    assert not result.passed
    assert "| core.facts | num_value | type is DOUBLE | DECIMAL(38,12) |" in md(result)
    assert "| core.price_history |  | table missing |  |" in md(result)


def _as_table(con, name: str, select: str = "*") -> None:
    """Replace a view by a table of its rows (or of some of its columns), to damage it."""
    con.execute(f"create table compare.damaged as select {select} from {name}")
    con.execute(f"drop view {name}")
    con.execute(f"alter table compare.damaged rename to {name.split('.')[1]}")


def test_pair_facts_schema_fails_without_the_published_flag(con):
    _as_table(con, "compare.pair_facts", "* exclude (published)")
    result = checks.evaluate_schema(con, checks.PAIR_FACTS_SCHEMA)
    assert not result.passed
    assert "| compare.pair_facts | published | column missing | BOOLEAN |" in md(result)


def test_schema_lists_extra_columns_without_failing(con):
    con.execute("alter table core.models add column note varchar")
    result = checks.evaluate_schema(con, checks.FACTS_SCHEMA)
    assert result.passed
    assert "note" in result.metadata["extra_columns"].value["core.models"]


# --- record counts ------------------------------------------------------------------------
def _load_row(con, fetch_date: str, status: str, num_records: int, at: str) -> None:
    con.execute(
        "insert into raw.source_loads values ('openrouter', ?, ?, ?, 1, ?, 0, null)",
        [fetch_date, at, status, num_records],
    )


def test_record_counts_pass_on_the_real_nights(con):
    records = con.execute(
        "select fetch_date, num_records from raw.source_loads where source = 'openrouter'"
        " order by 1"
    ).fetchall()
    assert records == [(dt.date(2026, 3, 9), 346), (dt.date(2026, 3, 10), 346)]
    result = checks.record_drop_result(con)
    assert result.passed
    assert result.metadata["newest_records"].value == {"openrouter": ["2026-03-10", 346]}


@pytest.mark.parametrize(
    ("records", "passed"),
    [
        (277, True),  # 346 → 277 is a fall of 19.9%
        (276, False),  # 346 → 276 is 20.2%
        (173, False),  # half the rows missing
    ],
)
def test_record_counts_fail_when_a_fetch_falls_by_more_than_a_fifth(con, records, passed):
    _load_row(con, "2026-03-11", "ok", records, "2026-03-11 03:00:00+00")
    result = checks.record_drop_result(con)
    assert result.passed is passed
    if not passed:
        assert result.metadata["sources"].value == ["openrouter"]
        assert f"| openrouter | 2026-03-11 | {records} | 2026-03-10 | 346 |" in md(result)
        assert result.description.startswith("openrouter: records fell by more than 20%")


def test_record_counts_accept_exactly_the_count_an_operator_vouched_for(con):
    _load_row(con, "2026-03-11", "ok", 173, "2026-03-11 03:00:00+00")
    _load_row(con, "2026-03-11", "accepted", 172, "2026-03-11 09:00:00+00")
    assert not checks.record_drop_result(con).passed  # another count than the one loaded
    _load_row(con, "2026-03-11", "accepted", 173, "2026-03-11 09:05:00+00")
    result = checks.record_drop_result(con)
    assert result.passed
    assert result.metadata["num_accepted_falls"].value == 1
    # The next night is compared with the accepted one.
    _load_row(con, "2026-03-12", "ok", 175, "2026-03-12 03:00:00+00")
    assert checks.record_drop_result(con).passed


def test_record_counts_skip_a_rejected_fetch(con):
    _load_row(con, "2026-03-11", "ok", 173, "2026-03-11 03:00:00+00")
    con.execute("update raw.source_loads set status = 'rejected' where fetch_date = '2026-03-11'")
    _load_row(con, "2026-03-12", "ok", 345, "2026-03-12 03:00:00+00")
    assert checks.record_drop_result(con).passed


def test_record_counts_on_one_source_only_as_the_source_asset_reports_them(con):
    con.execute(
        "insert into raw.source_loads values"
        " ('litellm', '2026-03-09', now(), 'ok', 1, 2000, 0, null),"
        " ('litellm', '2026-03-10', now(), 'ok', 1, 900, 0, null)"
    )
    assert not checks.record_drop_result(con).passed
    own = checks.record_drop_result(
        con, source="openrouter", asset_key=dg.AssetKey(["raw", "openrouter"])
    )
    assert own.passed
    assert own.check_name == checks.RECORD_DROP_CHECK
    assert own.asset_key == dg.AssetKey(["raw", "openrouter"])


# --- identity -----------------------------------------------------------------------------
def test_unmatched_ids_pass_on_the_real_nights(con):
    result = checks.evaluate_unmatched_ids(con)
    assert result.passed
    assert result.metadata["num_raw_ids"].value > 300
    assert result.metadata["unmatched_share"].value < 0.05


def _unmatched(con, source: str, n: int) -> None:
    for i in range(n):
        raw_id = f"renamed-field/model-{i}"
        con.execute(
            "insert into core.id_resolution (source, raw_id, fetch_date, model_key, rule, reason)"
            " values (?, ?, '2026-03-10', ?, 'unmatched', 'no rule')",
            [source, raw_id, raw_id],
        )
        con.execute(
            "insert into core.unmatched_ids (source, raw_id, reason, first_seen, last_seen,"
            " num_observations) values (?, ?, 'no rule', '2026-03-10', '2026-03-10', 3)",
            [source, raw_id],
        )


def test_unmatched_ids_fail_when_one_source_stops_resolving(con):
    _unmatched(con, "page_groq", 25)
    result = checks.evaluate_unmatched_ids(con)
    assert not result.passed
    assert result.metadata["unmatched_share"].value < checks.MAX_UNMATCHED_SHARE  # overall fine
    assert result.metadata["sources_over_threshold"].value == ["page_groq"]
    assert "| page_groq | renamed-field/model-0 | no rule |" in md(result, "offending_ids")
    assert "page_groq" in result.description


def test_unmatched_ids_ignore_the_share_of_a_small_source(con):
    _unmatched(con, "page_groq", checks.MIN_IDS_FOR_SOURCE_SHARE - 1)
    assert checks.evaluate_unmatched_ids(con).passed


def test_unmatched_ids_fail_when_most_ids_are_unmatched_overall(con):
    con.execute(
        "insert into core.unmatched_ids (source, raw_id, reason)"
        " select source, raw_id, 'no rule' from core.id_resolution where source = 'openrouter'"
        " and raw_id not in (select raw_id from core.unmatched_ids)"
    )
    result = checks.evaluate_unmatched_ids(con)
    assert not result.passed
    assert result.metadata["unmatched_share"].value == 1.0
    assert "openrouter" in result.description


def test_aliases_fail_when_one_alias_claims_two_models(con):
    assert checks.evaluate_aliases(con).passed
    con.execute(
        "insert into core.alias_keys values ('llama-3-2-11b', 'llama-3.2-90b-vision-instruct', null)"
    )
    result = checks.evaluate_aliases(con)
    assert not result.passed
    assert result.metadata["num_ambiguous"].value == 1
    assert "| llama-3-2-11b | ['llama-3.2-11b-vision-instruct', 'llama-3.2-90b" in md(result)


# --- facts --------------------------------------------------------------------------------
def _llama_offering(con) -> str:
    (offering,) = con.execute(
        "select subject_id from core.facts where scope = 'offering' and model_id = ?"
        " and provider_id = 'openrouter' and attribute = 'price_input' and tier_min_tokens = 0",
        [LLAMA_VISION],
    ).fetchone()
    return offering


def test_plausibility_passes_on_the_real_nights(con):
    result = checks.evaluate_plausible(con)
    assert result.passed, md(result)
    assert result.metadata["num_implausible_published"].value == 0


def test_plausibility_fails_on_a_price_read_in_the_wrong_unit(con):
    offering = _llama_offering(con)
    # 0.049 USD per million tokens read as if OpenRouter stated it per thousand tokens.
    con.execute(
        "update core.facts set num_value = 49000 where subject_id = ? and attribute = 'price_input'",
        [offering],
    )
    result = checks.evaluate_plausible(con)
    assert not result.passed
    assert f"| offering | {offering} | {LLAMA_VISION} | price_input | 49000" in md(result)
    assert "price out of bounds" in md(result)
    assert result.description.startswith("1 price out of bounds")


def test_plausibility_fails_on_a_fractional_or_huge_limit(con):
    offering = _llama_offering(con)
    con.execute(
        "update core.facts set num_value = 131072.5 where subject_id = ?"
        " and attribute = 'context_window'",
        [offering],
    )
    result = checks.evaluate_plausible(con)
    assert not result.passed
    assert "limit not a positive whole number under 100,000,000" in md(result)
    assert offering in md(result)


def test_plausibility_fails_on_cached_input_dearer_than_input(con):
    row = con.execute(
        "select subject_id, num_value from core.facts where scope = 'offering'"
        " and attribute = 'price_input' and num_value > 0 and tier_min_tokens = 0"
        " and subject_id not in (select subject_id from core.facts"
        "   where attribute = 'price_cache_read') order by subject_id limit 1"
    ).fetchone()
    con.execute(
        "insert into core.facts (scope, subject_id, model_id, attribute, qualifier,"
        " tier_min_tokens, num_value, unit, chosen_source)"
        " values ('offering', ?, 'm', 'price_cache_read', '', 0, ?, 'usd_per_million_tokens',"
        " 'openrouter')",
        [row[0], row[1] * 2],
    )
    result = checks.evaluate_plausible(con)
    assert not result.passed
    assert "cached input above input" in md(result) and row[0] in md(result)


def _chosen_observation(con, offering: str, attribute: str) -> dict:
    cursor = con.execute(
        "select o.* from core.typed_observations as o inner join core.facts as f"
        " on f.chosen_obs_id = o.obs_id where f.subject_id = ? and f.attribute = ?",
        [offering, attribute],
    )
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def _insert_observation(con, row: dict) -> None:
    names = ", ".join(row)
    con.execute(
        f"insert into core.typed_observations ({names}) values ({', '.join('?' * len(row))})",
        list(row.values()),
    )


def test_offering_values_consistent_passes_on_the_real_nights(con):
    result = checks.evaluate_offering_consistency(con)
    assert result.passed
    assert result.metadata["num_contradicted_facts"].value == 0


def test_offering_values_consistent_fails_when_a_record_states_two_prices(con):
    offering = _llama_offering(con)
    row = _chosen_observation(con, offering, "price_input")
    # The same record of the same response, read a second time with another value.
    row.update(obs_id="x" * 24, num_value=0.245, value="0.000000245", locator="/data/999")
    _insert_observation(con, row)
    result = checks.evaluate_offering_consistency(con)
    assert not result.passed
    assert result.metadata["sources"].value == ["openrouter"]
    assert f"| openrouter | {offering} | {LLAMA_VISION} | meta-llama/llama-3.2-11b" in md(result)
    assert "0.049" in md(result) and "0.245" in md(result)
    assert result.description == "self-contradicting records in openrouter"


def test_offering_values_within_source_warns_when_two_records_of_a_source_disagree(con):
    result = checks.evaluate_within_source(con)
    assert result.passed and result.severity == dg.AssetCheckSeverity.WARN
    offering = _llama_offering(con)
    row = _chosen_observation(con, offering, "price_input")
    row.update(obs_id="y" * 24, raw_id="meta-llama/llama-3.2-11b-vision-instruct:beta", num_value=1)
    _insert_observation(con, row)
    result = checks.evaluate_within_source(con)
    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["by_source"].value == {"openrouter": 1}
    assert f"| openrouter | {offering} | {LLAMA_VISION} | price_input | 0 | 2026-03-10" in md(
        result
    )
    # A different record is not a self-contradiction: the blocking check still passes.
    assert checks.evaluate_offering_consistency(con).passed


def test_conflicts_share_warns_above_a_tenth_of_the_facts(con):
    result = checks.evaluate_conflicts(con)
    assert result.passed and result.severity == dg.AssetCheckSeverity.WARN
    facts = result.metadata["num_facts"].value
    while con.execute("select count(*) from core.conflicts").fetchone()[0] <= facts / 10:
        con.execute("insert into core.conflicts select * from core.conflicts")
    result = checks.evaluate_conflicts(con)
    assert not result.passed
    assert result.metadata["conflict_share"].value > 0.1
    assert "of published facts are contested (over 10%)" in result.description


def test_sources_fresh_warns_on_sources_never_loaded(con):
    result = checks.evaluate_fresh(con)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["by_freshness"].value["litellm"] == "missing"
    assert "openrouter" not in result.metadata["by_freshness"].value
    con.execute("delete from core.source_status where source <> 'openrouter'")
    assert checks.evaluate_fresh(con).passed


def test_offerings_disappeared_passes_when_nothing_left(con):
    result = checks.evaluate_disappeared(con)
    assert result.passed
    assert result.metadata["num_disappeared"].value == 0


def test_offerings_disappeared_names_what_left_with_its_last_night(base, tmp_path):
    """Load the real next night, 2026-03-11, on which nine OpenRouter ids were gone."""
    db = tmp_path / "w.duckdb"
    shutil.copy(base["db"], db)
    assert dg.materialize(
        [OPENROUTER], instance=base["instance"], resources=resources(db), partition_key="2026-03-11"
    ).success
    assert dg.materialize(
        [normalize.identity, normalize.facts], instance=base["instance"], resources=resources(db)
    ).success
    with duckdb.connect(str(db)) as connection:
        result = checks.evaluate_disappeared(connection)
        guard = connection.execute(
            "select offering_id from core.offerings where list_contains(raw_ids, ?)",
            ["meta-llama/llama-guard-2-8b"],
        ).fetchone()[0]
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert 1 <= result.metadata["num_disappeared"].value <= 9
    assert f"| openrouter | {guard} | llama-guard-2-8b | 2026-03-10 | 2026-03-11 |" in md(result)
    assert result.description.startswith("openrouter: ")
    assert result.description.endswith("offerings gone on 2026-03-11")


# --- pairs --------------------------------------------------------------------------------
def test_pair_percentages_fail_above_a_hundred(con):
    assert checks.evaluate_pair_percentages(con).passed
    _as_table(con, "compare.pair_facts")
    key_a, key_b = con.execute(
        "select key_a, key_b from compare.pair_facts where input_pct_cheaper is not null"
        " order by key_a, key_b limit 1"
    ).fetchone()
    con.execute(
        "update compare.pair_facts set input_pct_cheaper = 150 where key_a = ? and key_b = ?",
        [key_a, key_b],
    )
    result = checks.evaluate_pair_percentages(con)
    assert not result.passed
    assert f"| {key_a} | {key_b} | 150.0 |" in md(result)


# --- the Dagster checks -------------------------------------------------------------------
def test_every_check_is_wired_with_the_intended_blocking(base):
    specs = {s.name: s for c in checks.all_checks for s in c.check_specs}
    blocking = {n for n, s in specs.items() if s.blocking}
    assert blocking == {
        "identity_schema", "source_record_counts", "unmatched_ids_rate", "aliases_unambiguous",
        "facts_schema", "facts_plausible", "offering_values_consistent", "pair_facts_schema",
        "pair_percentages_sane",
    }  # fmt: skip
    assert set(specs) - blocking == {
        "offering_values_within_source", "conflicts_share", "sources_fresh",
        "offerings_disappeared",
    }  # fmt: skip


def test_a_failing_blocking_check_stops_the_assets_after_it(base, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(base["db"], db)
    with duckdb.connect(str(db)) as connection:
        # A pretend ingest of a night with half the records.
        connection.execute(
            "insert into raw.source_loads values"
            " ('openrouter', '2026-03-11', now(), 'ok', 1, 173, 0, null)"
        )
    result = dg.materialize(
        [normalize.identity, normalize.facts, *checks.all_checks],
        selection=[normalize.identity, normalize.facts],
        instance=base["instance"],
        resources=resources(db),
        raise_on_error=False,
    )
    assert not result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["source_record_counts"].passed
    assert evaluations["source_record_counts"].metadata["sources"].value == ["openrouter"]
    assert evaluations["identity_schema"].passed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {normalize.identity.key}  # core/facts never ran


# --- freshness in SQL ---------------------------------------------------------------------
def _status(con, as_of: str) -> tuple:
    normalize.write_source_specs(con)
    warehouse.run_sql(con, "build_source_status.sql", {"as_of": dt.date.fromisoformat(as_of)})
    return con.execute(
        "select freshness, last_good_fetch_date, age_days, last_status, last_error,"
        " failed_fetch_dates from core.source_status where source = 'openrouter'"
    ).fetchone()


def test_staleness_is_judged_at_the_as_of_date_not_the_clock(con):
    # OpenRouter is daily: allowed two days.
    assert _status(con, "2026-03-10")[:3] == ("fresh", dt.date(2026, 3, 10), 0)
    assert _status(con, "2026-03-12")[:3] == ("fresh", dt.date(2026, 3, 10), 2)
    assert _status(con, "2026-03-13")[:3] == ("stale", dt.date(2026, 3, 10), 3)


def test_a_failed_night_marks_the_source_failing_and_keeps_its_last_good_fetch(con):
    warehouse.record_load(con, "openrouter", "2026-03-11", "failed", 0, 0, 0, "HTTP 503")
    freshness, last_good, age, status, error, failed = _status(con, "2026-03-11")
    assert (freshness, last_good, age, status, error) == (
        "failing", dt.date(2026, 3, 10), 1, "failed", "HTTP 503",
    )  # fmt: skip
    assert failed == [dt.date(2026, 3, 11)]
    # Re-loading an older night afterwards (a backfill) does not hide tonight's failure.
    warehouse.record_load(con, "openrouter", "2026-03-09", "ok", 1, 346, 5104)
    assert _status(con, "2026-03-11")[0] == "failing"
    # A successful run of that night clears it.
    warehouse.record_load(con, "openrouter", "2026-03-11", "ok", 1, 345, 5100)
    assert _status(con, "2026-03-11")[:4] == ("fresh", dt.date(2026, 3, 11), 0, "ok")


def test_a_rejected_night_is_failing_with_the_operators_reason(con):
    con.execute(
        "insert into raw.source_loads values ('openrouter', '2026-03-11', now(), 'rejected', 1,"
        " 173, 2500, 'rejected by an operator on 2026-03-11: half the list is missing')"
    )
    freshness, last_good, _, status, error, _ = _status(con, "2026-03-11")
    assert (freshness, last_good, status) == ("failing", dt.date(2026, 3, 10), "rejected")
    assert error.endswith("half the list is missing")
