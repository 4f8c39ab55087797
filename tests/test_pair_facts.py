"""Pair facts (sql/build_pair_facts.sql) on the refreshed real warehouse: every percentage is
the exact ratio of two exact prices, rounded half up to a tenth, with its direction stated; the
packed table decodes to that; prices too far apart stop the step instead of overflowing."""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from modelcompare import warehouse

TENTH = Decimal("0.1")
SAMPLE = 20_000


def _tenth(value: Decimal) -> float:
    return float(value.quantize(TENTH, rounding=ROUND_HALF_UP))


def _expected(price_a: Decimal | None, price_b: Decimal | None):
    """(cheaper side, pct_cheaper, pct_more_expensive), worked out with Python decimals."""
    if price_a is None or price_b is None:
        return None, None, None
    high, low = max(price_a, price_b), min(price_a, price_b)
    side = "same" if price_a == price_b else ("a" if price_a < price_b else "b")
    cheaper = _tenth((high - low) / high * 100) if high else None
    more = _tenth((high - low) / low * 100) if low else None
    return side, cheaper, more


@pytest.fixture(scope="module")
def con(refreshed):
    con = duckdb.connect(str(refreshed["db"]), read_only=True)
    yield con
    con.close()


def test_every_pair_is_there_once(con):
    models, pairs, distinct = con.execute(
        "select (select count(*) from compare.model_summary), count(*),"
        " count(distinct (key_a, key_b)) from compare.pair_facts where key_a < key_b"
    ).fetchone()
    assert pairs == distinct == models * (models - 1) // 2
    assert con.execute("select count(*) from compare.pair_facts_packed").fetchone()[0] == pairs


def test_a_real_half_way_difference_rounds_up(con):
    # claude-3-5-haiku at Anthropic: 0.80 in / 4.00 out; anubis-70b at nano-gpt: 0.31 / 0.31.
    # 0.49 / 0.80 = 61.25 % and 3.69 / 4.00 = 92.25 %: half way, so 61.3 and 92.3 (rounding the
    # nearest double, 61.249999..., gave 61.2 before).
    row = con.execute(
        "select input_price_a, input_price_b, input_cheaper, input_pct_cheaper,"
        " input_pct_more_expensive, output_price_a, output_price_b, output_cheaper,"
        " output_pct_cheaper, output_pct_more_expensive from compare.pair_facts_readable"
        " where list_sort([model_a, model_b]) = ['anubis-70b', 'claude-3-5-haiku']"
    ).fetchone()
    assert row is not None
    ins = dict(zip(("a", "b"), row[0:2], strict=True))
    assert sorted(ins.values()) == [Decimal("0.31"), Decimal("0.8")]
    anubis = "a" if ins["a"] == Decimal("0.31") else "b"
    assert row[2] == anubis
    assert (row[3], row[4]) == (61.3, 158.1)  # 0.49 / 0.31 = 158.06 %
    assert row[7] == anubis
    assert (row[8], row[9]) == (92.3, 1190.3)  # 3.69 / 0.31 = 1190.32 %


def test_percentages_match_exact_decimals_on_a_sample(con):
    rows = con.execute(
        "select input_price_a, input_price_b, input_cheaper, input_pct_cheaper,"
        " input_pct_more_expensive, output_price_a, output_price_b, output_cheaper,"
        " output_pct_cheaper, output_pct_more_expensive, blended_price_a, blended_price_b,"
        " blended_cheaper, blended_pct_cheaper, blended_pct_more_expensive"
        f" from compare.pair_facts_readable using sample reservoir({SAMPLE} rows) repeatable (7)"
    ).fetchall()
    assert len(rows) == SAMPLE
    wrong, known, half_way = [], 0, 0
    for row in rows:
        for i in range(0, 15, 5):
            a, b, *stated = row[i : i + 5]
            expected = _expected(a, b)
            if tuple(stated) != expected:
                wrong.append((a, b, stated, expected))
            if expected[1] is not None:
                known += 1
                exact = (max(a, b) - min(a, b)) / max(a, b) * 1000
                half_way += exact - int(exact) == Decimal("0.5")
    assert not wrong, wrong[:5]
    assert known > SAMPLE  # most pairs have prices on every kind
    assert half_way > 0  # the sample holds the half-way cases this is about


def test_monthly_comparisons_match_exact_decimals(con):
    rows = con.execute(
        """
        with costs as (
            select s.model_key, c.profile_id,
                c.cheapest.cost_per_month_usd::decimal(18, 6) as cost
            from compare.model_profile_costs as c
            inner join compare.model_summary as s using (model_id)
        ),
        sample as (
            select key_a, key_b from compare.pair_facts_packed
            using sample reservoir(5000 rows) repeatable (11)
        )
        select ca.cost, cb.cost, m.cheaper, m.pct_cheaper
        from sample
        inner join compare.pair_monthly_costs as m using (key_a, key_b)
        left join costs as ca on ca.model_key = m.key_a and ca.profile_id = m.profile_id
        left join costs as cb on cb.model_key = m.key_b and cb.profile_id = m.profile_id
        """
    ).fetchall()
    profiles = con.execute("select count(*) from compare.traffic_profiles").fetchone()[0]
    assert len(rows) == 5000 * profiles
    wrong = [r for r in rows if (r[2], r[3]) != _expected(r[0], r[1])[:2]]
    assert not wrong, wrong[:5]
    assert sum(r[3] is not None for r in rows) > 5000  # profiles with a cost on both sides


def test_prices_too_far_apart_stop_the_step(refreshed, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(refreshed["db"], db)
    con = warehouse.connect(db)
    warehouse.run_sql(con, "create_macros.sql")
    before = con.execute("select count(*) from compare.pair_facts_packed").fetchone()[0]
    # Prices from 1 to 600 USD per million tokens are fine: the guard itself must not overflow
    # (it did, with every price above 0.033, in its first version).
    con.execute(
        "update compare.model_summary set input_price = 1 + model_key % 600,"
        " output_price = 1 + model_key % 600, blended_price = 1 + model_key % 600"
    )
    con.execute("begin transaction")
    warehouse.run_sql(con, "build_pair_facts.sql")
    assert con.execute(
        "select max(input_pct_more_expensive) from compare.pair_facts"
    ).fetchone() == (
        59900.0,  # 599 / 1
    )
    con.execute("rollback")
    # 1e-9 against 1,000 USD per million tokens: 1e12 apart, more than 48 bits of tenths hold.
    con.execute(
        "update compare.model_summary set input_price = case model_key"
        " when (select min(model_key) from compare.model_summary) then 0.000000001"
        " when (select max(model_key) from compare.model_summary) then 1000 end"
        " where model_key in ((select min(model_key) from compare.model_summary),"
        " (select max(model_key) from compare.model_summary))"
    )
    with pytest.raises(duckdb.Error, match="factor of 2.8e11"):
        con.execute("begin transaction")
        warehouse.run_sql(con, "build_pair_facts.sql")
    con.execute("rollback")
    assert con.execute("select count(*) from compare.pair_facts_packed").fetchone()[0] == before
    con.close()
