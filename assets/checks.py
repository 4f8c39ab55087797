"""Asset checks where the data is born. Blocking checks stop the release; each names the
offending rows in its metadata.

Thresholds are constants here, with their reasons, so a reviewer can argue with them.
"""

import dagster as dg

from assets import compare, normalize
from pipelines.resources import WarehouseResource

# Above this share of raw ids unmatched, identity rules have broken (a renamed field, a new id
# scheme): publishing would silently drop a large part of the catalog. Today about a third of
# ids are single-source names no model-defining source describes.
MAX_UNMATCHED_SHARE = 0.6


def _rows_md(con, sql: str, limit: int = 20) -> str:
    return normalize.markdown_table(con, sql, limit)


@dg.asset_check(
    asset=normalize.identity,
    blocking=True,
    description="Unmatched-id share stays under its threshold.",
)
def unmatched_ids_rate(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        total = normalize.count(
            con, "select count(distinct (source, raw_id)) from core.id_resolution"
        )
        unmatched = normalize.count(con, "select count(*) from core.unmatched_ids")
        share = unmatched / total if total else 1.0
        by_source = con.execute(
            "select source, count(*) from core.unmatched_ids group by all order by 2 desc"
        ).fetchall()
        preview = _rows_md(
            con, "select source, raw_id, reason from core.unmatched_ids order by source, raw_id"
        )
    return dg.AssetCheckResult(
        passed=total > 0 and share <= MAX_UNMATCHED_SHARE,
        metadata={
            "num_unmatched": unmatched,
            "num_raw_ids": total,
            "unmatched_share": round(share, 4),
            "threshold": MAX_UNMATCHED_SHARE,
            "unmatched_by_source": dg.MetadataValue.json(dict(by_source)),
            "offending_ids": dg.MetadataValue.md(preview),
        },
    )


@dg.asset_check(asset=normalize.identity, blocking=True, description="No alias claims two models.")
def aliases_unambiguous(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        sql = (
            "select model_key, list(distinct model_id) as models from core.alias_keys "
            "group by all having count(distinct model_id) > 1"
        )
        bad = normalize.count(con, f"select count(*) from ({sql})")
        preview = _rows_md(con, sql)
    return dg.AssetCheckResult(
        passed=bad == 0, metadata={"num_ambiguous": bad, "offending": dg.MetadataValue.md(preview)}
    )


@dg.asset_check(asset=normalize.facts, blocking=True, description="Published facts are plausible.")
def facts_plausible(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every published price is a finite non-negative number under the magnitude bound, every
    limit positive, and no offering publishes cached input above input or max output above its
    context window. Rejected observations are fine (they are kept out); published ones are not."""
    sql = """
        select f.subject_id, f.attribute, f.num_value, f.chosen_source, 'price out of bounds' as problem
        from core.facts as f
        where f.unit = 'usd_per_million_tokens' and (f.num_value < 0 or f.num_value > 1000)
        union all
        select f.subject_id, f.attribute, f.num_value, f.chosen_source, 'limit not positive'
        from core.facts as f
        where f.unit = 'tokens' and f.num_value <= 0
        union all
        select c.subject_id, 'price_cache_read', c.num_value, c.chosen_source, 'cached input above input'
        from core.facts as c
        inner join core.facts as i
            on i.scope = c.scope and i.subject_id = c.subject_id and i.attribute = 'price_input'
            and i.tier_min_tokens = c.tier_min_tokens
        where c.attribute = 'price_cache_read' and c.num_value > i.num_value
        union all
        select o.subject_id, 'max_output_tokens', o.num_value, o.chosen_source, 'max output above context'
        from core.facts as o
        inner join core.facts as w
            on w.scope = o.scope and w.subject_id = o.subject_id and w.attribute = 'context_window'
        where o.scope = 'offering' and o.attribute = 'max_output_tokens' and o.num_value > w.num_value
    """
    with warehouse.connect() as con:
        bad = normalize.count(con, f"select count(*) from ({sql})")
        preview = _rows_md(con, sql)
        rejected = con.execute(
            "select reject_reason, count(*) from core.fact_candidates where reject_reason is not null "
            "group by all order by 2 desc"
        ).fetchall()
    return dg.AssetCheckResult(
        passed=bad == 0,
        metadata={
            "num_implausible_published": bad,
            "offending": dg.MetadataValue.md(preview),
            "rejected_observations_by_reason": dg.MetadataValue.json(dict(rejected)),
        },
    )


@dg.asset_check(
    asset=normalize.facts, blocking=False, description="Conflicts between sources (warning)."
)
def conflicts_report(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        n = normalize.count(con, "select count(*) from core.conflicts")
        preview = _rows_md(
            con,
            "select scope, subject_id, attribute, published_value, chosen_source, len(sides) as sides "
            "from core.conflicts order by subject_id, attribute",
        )
    return dg.AssetCheckResult(
        passed=True,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"num_conflicts": n, "conflicts": dg.MetadataValue.md(preview)},
    )


@dg.asset_check(
    asset=normalize.facts, blocking=False, description="Every source is fresh (warning when stale)."
)
def sources_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        sql = (
            "select source, freshness, last_good_fetch_date, age_days, last_error "
            "from core.source_status where freshness <> 'fresh' order by source"
        )
        n = normalize.count(con, f"select count(*) from ({sql})")
        preview = _rows_md(con, sql)
    return dg.AssetCheckResult(
        passed=n == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"num_not_fresh": n, "sources": dg.MetadataValue.md(preview)},
    )


@dg.asset_check(
    asset=compare.pair_facts, blocking=True, description="Pair percentages say which way they go."
)
def pair_percentages_sane(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """A 'cheaper' share is never above 100%, and never negative; a side is named whenever both prices exist."""
    sql = """
        select key_a, key_b, input_pct_cheaper, output_pct_cheaper, blended_pct_cheaper
        from compare.pair_facts
        where input_pct_cheaper > 100 or output_pct_cheaper > 100 or blended_pct_cheaper > 100
            or input_pct_cheaper < 0 or output_pct_cheaper < 0 or blended_pct_cheaper < 0
    """
    with warehouse.connect() as con:
        bad = normalize.count(con, f"select count(*) from ({sql})")
        preview = _rows_md(con, sql)
    return dg.AssetCheckResult(
        passed=bad == 0, metadata={"num_bad_pairs": bad, "offending": dg.MetadataValue.md(preview)}
    )


all_checks = [
    unmatched_ids_rate,
    aliases_unambiguous,
    facts_plausible,
    conflicts_report,
    sources_fresh,
    pair_percentages_sane,
]
