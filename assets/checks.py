"""Asset checks where the data is born. Blocking checks stop the release; warnings only tell.

Every check names the offending rows in its metadata (a markdown table of up to 20 of them, and
their count), and every threshold is a constant here with its reason, so a reviewer can argue
with it. Each check's logic is a plain function of a DuckDB connection (``evaluate_*``), so
tests call it on a prepared warehouse; the Dagster checks below only open the warehouse, call
it and log a failure in words a person reading the refresh output understands.

Blocking (the publish job stops before the release; the current release stays as it is):
- ``*_schema``: the normalized tables have the columns, with the types, that later steps read.
- ``source_record_counts``: no source's record count fell by more than ``MAX_RECORD_DROP``
  from one fetch to the next (a truncated or half-empty snapshot that still parses).
- ``unmatched_ids_rate``: the share of raw ids no identity rule resolves stays under
  ``MAX_UNMATCHED_SHARE``, overall and per source.
- ``aliases_unambiguous``: no alias claims two models.
- ``facts_plausible``: published prices and limits are within bounds and consistent.
- ``offering_values_consistent``: no published offering value comes from a record that states
  another value for the same thing in the same response.
- ``pair_percentages_sane``: pair percentages stay in [0, 100].

Warnings: ``conflicts_share``, ``sources_fresh``, ``offering_values_within_source``,
``offerings_disappeared``.
"""

import dagster as dg

from assets import compare, normalize
from pipelines.resources import WarehouseResource

# --- thresholds ---------------------------------------------------------------------------
# A source's record count may fall by at most this share from one fetch to the next. The daily
# OpenRouter series moves by under 3% a night (the largest fall in the bundled 61 nights is 2%);
# a fall of a fifth or more has so far only meant a truncated or broken response.
MAX_RECORD_DROP = 0.2
# Above this share of raw ids unmatched, identity rules have broken (a renamed field, a new id
# scheme): publishing would silently drop a large part of the catalog. Today about a third of
# ids are single-source names no model-defining source describes (half for the AA indices).
MAX_UNMATCHED_SHARE = 0.6
# The per-source share is judged only for sources with at least this many ids; a page listing
# five models says little by its share.
MIN_IDS_FOR_SOURCE_SHARE = 20
# Published prices above this many USD per million tokens are unit errors (per-token prices
# read as per-million, or per-thousand as per-million); the dearest real price today is 600.
MAX_PRICE_USD_PER_MTOK = 1000
# Token limits above this are unit errors; the largest real context window is 10 million
# tokens (one catalog writes 99,999,999 for "no limit" on a video model, which passes).
MAX_TOKEN_LIMIT = 100_000_000
# Warn when more than this share of published facts is contested by another source; today
# about 4% are, mostly rounding and stale copies.
MAX_CONFLICT_SHARE = 0.1

RECORD_DROP_CHECK = "records_vs_previous_fetch"
RECORD_DROP_DESCRIPTION = (
    f"Blocking: a source's record count falls by at most {MAX_RECORD_DROP:.0%} against its "
    "previous fetch, unless an operator accepted the fall (python -m pipelines.cli accept-slice)."
)
PREVIEW_ROWS = 20


def _rows_md(con, sql: str, params: list | None = None, limit: int = PREVIEW_ROWS) -> str:
    """Up to ``limit`` rows of a query as a markdown table (the offending rows of a check)."""
    cursor = con.execute(f"select * from ({sql}) limit {int(limit)}", params or [])
    names = [d[0] for d in cursor.description]
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += [
        "| " + " | ".join("" if v is None else str(v)[:60] for v in row) + " |"
        for row in cursor.fetchall()
    ]
    return "\n".join(lines)


def _count(con, sql: str, params: list | None = None) -> int:
    return con.execute(f"select count(*) from ({sql})", params or []).fetchone()[0]


# --- schema -------------------------------------------------------------------------------
# The columns later steps and the exports read, with their types. "integer" accepts any integer
# width; "STRUCT[]" any list of structs. Extra columns are allowed (and listed): adding one is
# not a break. Keep in sync with the SQL that builds each table.
INTEGER = "integer"
IDENTITY_SCHEMA = {
    "core.id_resolution": {
        "source": "VARCHAR", "raw_id": "VARCHAR", "fetch_date": "DATE", "model_key": "VARCHAR",
        "model_id": "VARCHAR", "rule": "VARCHAR", "reason": "VARCHAR",
    },
    "core.unmatched_ids": {
        "source": "VARCHAR", "raw_id": "VARCHAR", "reason": "VARCHAR", "first_seen": "DATE",
        "last_seen": "DATE", "num_observations": INTEGER,
    },
}  # fmt: skip
FACTS_SCHEMA = {
    "core.facts": {
        "scope": "VARCHAR", "subject_id": "VARCHAR", "model_id": "VARCHAR",
        "offering_id": "VARCHAR", "provider_id": "VARCHAR", "attribute": "VARCHAR",
        "qualifier": "VARCHAR", "tier_min_tokens": INTEGER, "tier_rule": "VARCHAR",
        "num_value": "DECIMAL(38,12)", "text_value": "VARCHAR", "unit": "VARCHAR",
        "chosen_source": "VARCHAR", "chosen_obs_id": "VARCHAR",
        "verified_at": "TIMESTAMP WITH TIME ZONE", "has_conflict": "BOOLEAN",
    },
    "core.fact_sources": {
        "scope": "VARCHAR", "subject_id": "VARCHAR", "attribute": "VARCHAR",
        "qualifier": "VARCHAR", "tier_min_tokens": INTEGER, "obs_id": "VARCHAR",
        "response_id": "VARCHAR", "source": "VARCHAR", "raw_id": "VARCHAR",
        "num_value": "DECIMAL(38,12)", "text_value": "VARCHAR", "reject_reason": "VARCHAR",
        "is_chosen": "BOOLEAN", "agrees": "BOOLEAN",
    },
    "core.conflicts": {
        "scope": "VARCHAR", "subject_id": "VARCHAR", "model_id": "VARCHAR",
        "attribute": "VARCHAR", "published_value": "VARCHAR", "chosen_source": "VARCHAR",
        "sides": "STRUCT[]",
    },
    "core.models": {
        "model_id": "VARCHAR", "name": "VARCHAR", "curated": "BOOLEAN", "publish": "BOOLEAN",
        "first_seen": "DATE", "last_seen": "DATE", "num_sources": INTEGER,
    },
    "core.offerings": {
        "offering_id": "VARCHAR", "model_id": "VARCHAR", "provider_id": "VARCHAR",
        "region": "VARCHAR", "first_seen": "DATE", "last_seen": "DATE",
        "raw_ids": "VARCHAR[]", "is_free": "BOOLEAN", "listed_now": "BOOLEAN",
        "seen_in": "STRUCT[]",
    },
    "core.price_history": {
        "offering_id": "VARCHAR", "model_id": "VARCHAR", "attribute": "VARCHAR",
        "tier_min_tokens": INTEGER, "source": "VARCHAR", "num_value": "DECIMAL(38,12)",
        "valid_from": "DATE", "valid_to": "DATE", "last_seen": "DATE", "basis": "VARCHAR",
    },
    "core.source_status": {
        "source": "VARCHAR", "freshness": "VARCHAR", "last_good_fetch_date": "DATE",
        "last_good_fetched_at": "TIMESTAMP WITH TIME ZONE", "last_status": "VARCHAR",
        "last_error": "VARCHAR", "age_days": INTEGER, "made_fixture": "BOOLEAN",
    },
}  # fmt: skip
PAIR_FACTS_SCHEMA = {
    "compare.pair_facts": {
        "key_a": INTEGER, "key_b": INTEGER, "input_cheaper": "VARCHAR",
        "input_pct_cheaper": "DOUBLE", "output_cheaper": "VARCHAR",
        "output_pct_cheaper": "DOUBLE", "blended_pct_cheaper": "DOUBLE",
        "larger_context": "VARCHAR", "published": "BOOLEAN",
    },
}  # fmt: skip
_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
}  # fmt: skip


def _type_matches(expected: str, actual: str) -> bool:
    if expected == INTEGER:
        return actual in _INTEGER_TYPES
    if expected == "STRUCT[]":
        return actual.startswith("STRUCT(") and actual.endswith("[]")
    return actual == expected


def evaluate_schema(con, expected: dict[str, dict[str, str]]) -> dg.AssetCheckResult:
    """Every expected table exists with every expected column of the expected type."""
    problems, extra = [], {}
    for table, columns in expected.items():
        schema, name = table.split(".")
        actual = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
        )
        if not actual:
            problems.append((table, "", "table missing", ""))
            continue
        for column, type_ in columns.items():
            if column not in actual:
                problems.append((table, column, "column missing", type_))
            elif not _type_matches(type_, actual[column]):
                problems.append((table, column, f"type is {actual[column]}", type_))
        extra[table] = [c for c in actual if c not in columns]
    table = "| table | column | problem | expected |\n|---|---|---|---|\n" + "\n".join(
        f"| {t} | {c} | {p} | {e} |" for t, c, p, e in problems[:PREVIEW_ROWS]
    )
    return dg.AssetCheckResult(
        passed=not problems,
        description="; ".join(f"{t}{'.' + c if c else ''}: {p}" for t, c, p, _ in problems[:5])
        or None,
        metadata={
            "num_problems": len(problems),
            "tables": dg.MetadataValue.json(sorted(expected)),
            "offending": dg.MetadataValue.md(table),
            "extra_columns": dg.MetadataValue.json(extra),
        },
    )


# --- record counts ------------------------------------------------------------------------
# Per (source, fetch date) with data: its records as loaded by its newest 'ok' load and the
# fetch before it with data. A fall is accepted when an operator vouched for exactly that record
# count ('accepted' rows carry it), so re-loading the same data stays accepted and a changed
# parser is judged again. Rejected slices have no 'ok' row left: their neighbours are compared.
RECORD_DROPS_SQL = """
with
slices as (
    select
        source,
        fetch_date,
        arg_max(num_records, loaded_at) filter (where status = 'ok') as num_records,
        list(num_records) filter (where status = 'accepted') as accepted_counts
    from raw.source_loads
    where ($source is null or source = $source)
    group by all
    having count(*) filter (where status = 'ok') > 0
),

compared as (
    select
        source,
        fetch_date,
        num_records,
        lag(fetch_date) over w as previous_fetch_date,
        lag(num_records) over w as previous_records,
        coalesce(list_contains(accepted_counts, num_records), false) as accepted
    from slices
    window w as (partition by source order by fetch_date)
),

final as (
    select
        source,
        fetch_date,
        num_records,
        previous_fetch_date,
        previous_records,
        round(1 - num_records / previous_records, 3) as share_fallen,
        accepted
    from compared
    where previous_records > 0 and num_records < previous_records * (1 - $max_drop)
)

select * from final order by accepted, source, fetch_date
"""


def record_drop_result(
    con, source: str | None = None, asset_key: dg.AssetKey | None = None
) -> dg.AssetCheckResult:
    """Fails when a source's records fell by more than MAX_RECORD_DROP from one fetch to the
    next (every fetch of ``source``, or of every source), unless an operator accepted it."""
    params = {"source": source, "max_drop": MAX_RECORD_DROP}
    rows = con.execute(RECORD_DROPS_SQL, params).fetchall()
    blocking = [r for r in rows if not r[6]]
    sources = sorted({r[0] for r in blocking})
    newest = con.execute(
        "select source, max(fetch_date), arg_max(num_records, (fetch_date, loaded_at))"
        " from raw.source_loads where status = 'ok' and ($source is null or source = $source)"
        " group by all order by 1",
        {"source": source},
    ).fetchall()
    table = (
        "| source | fetch date | records | previous fetch | records then | fallen | accepted |\n"
        "|---|---|---|---|---|---|---|\n"
        + "\n".join(
            f"| {s} | {d} | {n} | {pd} | {pn} | {share:.0%} | {'yes' if a else 'no'} |"
            for s, d, n, pd, pn, share, a in rows[:PREVIEW_ROWS]
        )
    )
    extra = {"check_name": RECORD_DROP_CHECK, "asset_key": asset_key} if asset_key else {}
    return dg.AssetCheckResult(
        passed=not blocking,
        metadata={
            "num_falls": len(blocking),
            "num_accepted_falls": len(rows) - len(blocking),
            "sources": dg.MetadataValue.json(sources),
            "threshold": MAX_RECORD_DROP,
            "offending": dg.MetadataValue.md(table),
            "newest_records": dg.MetadataValue.json({s: [str(d), n] for s, d, n in newest}),
        },
        description=(
            f"{', '.join(sources)}: records fell by more than {MAX_RECORD_DROP:.0%} against the "
            "previous fetch" + (f" ({len(blocking)} fetches)" if len(blocking) > 1 else "")
            if blocking
            else None
        ),
        **extra,
    )


# --- identity -----------------------------------------------------------------------------
UNMATCHED_BY_SOURCE_SQL = """
select
    r.source,
    count(distinct r.raw_id) as num_ids,
    count(distinct u.raw_id) as num_unmatched,
    round(count(distinct u.raw_id) / count(distinct r.raw_id), 4) as share
from core.id_resolution as r
left join core.unmatched_ids as u on u.source = r.source and u.raw_id = r.raw_id
group by all
order by share desc, r.source
"""


def evaluate_unmatched_ids(con) -> dg.AssetCheckResult:
    by_source = con.execute(UNMATCHED_BY_SOURCE_SQL).fetchall()
    total = sum(r[1] for r in by_source)
    unmatched = sum(r[2] for r in by_source)
    share = unmatched / total if total else 1.0
    bad_sources = [
        r[0] for r in by_source if r[1] >= MIN_IDS_FOR_SOURCE_SHARE and r[3] > MAX_UNMATCHED_SHARE
    ]
    offending = (
        "select source, raw_id, reason, last_seen from core.unmatched_ids"
        + (" where source in (select unnest(?))" if bad_sources else "")
        + " order by source, raw_id"
    )
    return dg.AssetCheckResult(
        passed=total > 0 and share <= MAX_UNMATCHED_SHARE and not bad_sources,
        metadata={
            "num_unmatched": unmatched,
            "num_raw_ids": total,
            "unmatched_share": round(share, 4),
            "threshold": MAX_UNMATCHED_SHARE,
            "sources_over_threshold": dg.MetadataValue.json(bad_sources),
            "unmatched_by_source": dg.MetadataValue.md(
                "| source | ids | unmatched | share |\n|---|---|---|---|\n"
                + "\n".join(f"| {s} | {n} | {u} | {sh} |" for s, n, u, sh in by_source)
            ),
            "offending_ids": dg.MetadataValue.md(
                _rows_md(con, offending, [bad_sources] if bad_sources else None)
            ),
        },
        description=(
            f"unmatched ids above {MAX_UNMATCHED_SHARE:.0%}: "
            + (", ".join(bad_sources) if bad_sources else f"{share:.0%} overall")
        )
        if (share > MAX_UNMATCHED_SHARE or bad_sources)
        else None,
    )


def evaluate_aliases(con) -> dg.AssetCheckResult:
    sql = (
        "select model_key, list(distinct model_id order by model_id) as models from core.alias_keys "
        "group by all having count(distinct model_id) > 1 order by model_key"
    )
    bad = _count(con, sql)
    return dg.AssetCheckResult(
        passed=bad == 0,
        description=f"{bad} aliases claim two models" if bad else None,
        metadata={"num_ambiguous": bad, "offending": dg.MetadataValue.md(_rows_md(con, sql))},
    )


# --- facts --------------------------------------------------------------------------------
PLAUSIBILITY_SQL = f"""
select f.scope, f.subject_id, f.model_id, f.attribute, f.num_value, f.chosen_source,
    'price out of bounds' as problem
from core.facts as f
where f.unit = 'usd_per_million_tokens'
    and (f.num_value < 0 or f.num_value > {MAX_PRICE_USD_PER_MTOK})
union all
select f.scope, f.subject_id, f.model_id, f.attribute, f.num_value, f.chosen_source,
    'limit not a positive whole number under {MAX_TOKEN_LIMIT:,}'
from core.facts as f
where f.unit = 'tokens'
    and (f.num_value <= 0 or f.num_value > {MAX_TOKEN_LIMIT} or f.num_value <> floor(f.num_value))
union all
select c.scope, c.subject_id, c.model_id, 'price_cache_read', c.num_value, c.chosen_source,
    'cached input above input'
from core.facts as c
inner join core.facts as i
    on i.scope = c.scope and i.subject_id = c.subject_id and i.attribute = 'price_input'
    and i.tier_min_tokens = c.tier_min_tokens
where c.attribute = 'price_cache_read' and c.num_value > i.num_value
union all
select o.scope, o.subject_id, o.model_id, 'max_output_tokens', o.num_value, o.chosen_source,
    'max output above context'
from core.facts as o
inner join core.facts as w
    on w.scope = o.scope and w.subject_id = o.subject_id and w.attribute = 'context_window'
where o.scope = 'offering' and o.attribute = 'max_output_tokens' and o.num_value > w.num_value
"""


def evaluate_plausible(con) -> dg.AssetCheckResult:
    """Every published price is a non-negative number under the bound, every limit a positive
    whole number under its bound, no offering publishes cached input above input or max output
    above its context window. Rejected observations are fine (they are kept out)."""
    bad = _count(con, PLAUSIBILITY_SQL)
    problems = con.execute(
        f"select problem, count(*) from ({PLAUSIBILITY_SQL}) group by all order by 2 desc, 1"
    ).fetchall()
    rejected = con.execute(
        "select reject_reason, count(*) from core.fact_candidates where reject_reason is not null "
        "group by all order by 2 desc, 1"
    ).fetchall()
    return dg.AssetCheckResult(
        passed=bad == 0,
        description=", ".join(f"{n} {p}" for p, n in problems) or None,
        metadata={
            "num_implausible_published": bad,
            "max_price_usd_per_mtok": MAX_PRICE_USD_PER_MTOK,
            "max_token_limit": MAX_TOKEN_LIMIT,
            "offending": dg.MetadataValue.md(
                _rows_md(con, PLAUSIBILITY_SQL + " order by problem, subject_id, attribute")
            ),
            "rejected_observations_by_reason": dg.MetadataValue.json(dict(rejected)),
        },
    )


# A published offering value, the record it was chosen from, and every value that same record
# states for the same (attribute, qualifier, tier) in the same response.
SELF_CONTRADICTION_SQL = """
with
chosen as (
    select
        f.subject_id as offering_id, f.model_id, f.attribute, f.qualifier, f.tier_min_tokens,
        f.num_value, f.chosen_source, o.response_id, o.raw_id, o.provider, o.region,
        o.variant, o.quantization
    from core.facts as f
    inner join core.typed_observations as o on o.obs_id = f.chosen_obs_id
    where f.scope = 'offering' and f.num_value is not null
),

final as (
    select
        c.chosen_source as source,
        c.offering_id,
        c.model_id,
        c.raw_id,
        c.attribute,
        c.tier_min_tokens,
        c.num_value as published,
        list(distinct o.num_value order by o.num_value) as values_stated,
        list(distinct o.locator order by o.locator) as locators
    from chosen as c
    inner join core.typed_observations as o
        on o.response_id = c.response_id and o.raw_id = c.raw_id
        and o.provider is not distinct from c.provider and o.region is not distinct from c.region
        and o.variant is not distinct from c.variant
        and o.quantization is not distinct from c.quantization
        and o.attribute = c.attribute and o.qualifier_key = c.qualifier
        and o.tier_key = c.tier_min_tokens
    where o.flag is null and o.valid_from is null and o.valid_to is null
        and o.num_value is not null
    group by all
    having count(distinct o.num_value) > 1
)

select * from final order by source, offering_id, attribute
"""


def evaluate_offering_consistency(con) -> dg.AssetCheckResult:
    """Blocking: the record a published offering value was chosen from states another value for
    the same attribute and tier in the same response. The source contradicts itself (or its
    parser reads one field twice), so the published number is a coin flip."""
    bad = _count(con, SELF_CONTRADICTION_SQL)
    sources = [
        r[0]
        for r in con.execute(f"select distinct source from ({SELF_CONTRADICTION_SQL})").fetchall()
    ]
    return dg.AssetCheckResult(
        passed=bad == 0,
        metadata={
            "num_contradicted_facts": bad,
            "sources": dg.MetadataValue.json(sorted(sources)),
            "offending": dg.MetadataValue.md(_rows_md(con, SELF_CONTRADICTION_SQL)),
        },
        description=f"self-contradicting records in {', '.join(sorted(sources))}" if bad else None,
    )


# Different records of one source (other ids, regions folded together by identity rules) that
# resolve to one offering and disagree in the same response. Usually our identity merges
# variants the source keeps apart (a government-cloud region, a dated snapshot), so it warns.
WITHIN_SOURCE_SQL = """
select
    source,
    offering_id,
    any_value(model_id) as model_id,
    attribute,
    tier_key as tier_min_tokens,
    fetch_date,
    list(distinct num_value order by num_value) as values_stated,
    list(distinct raw_id order by raw_id) as raw_ids
from core.typed_observations
where subject = 'offering' and offering_id is not null and num_value is not null
    and flag is null and valid_from is null and valid_to is null
    and std_unit in ('usd_per_million_tokens', 'tokens')
group by source, response_id, offering_id, attribute, qualifier_key, tier_key, fetch_date
having count(distinct num_value) > 1
order by source, offering_id, attribute
"""


def evaluate_within_source(con) -> dg.AssetCheckResult:
    by_source = con.execute(
        f"select source, count(*) from ({WITHIN_SOURCE_SQL}) group by all order by 2 desc, 1"
    ).fetchall()
    n = sum(c for _, c in by_source)
    return dg.AssetCheckResult(
        passed=n == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{n} offering values disagree within one source ("
            + ", ".join(f"{s} {c}" for s, c in by_source)
            + ")"
        )
        if n
        else None,
        metadata={
            "num_disagreeing": n,
            "by_source": dg.MetadataValue.json(dict(by_source)),
            "offending": dg.MetadataValue.md(_rows_md(con, WITHIN_SOURCE_SQL)),
        },
    )


def evaluate_conflicts(con) -> dg.AssetCheckResult:
    n = normalize.count(con, "select count(*) from core.conflicts")
    facts = normalize.count(con, "select count(*) from core.facts")
    share = n / facts if facts else 0.0
    return dg.AssetCheckResult(
        passed=share <= MAX_CONFLICT_SHARE,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{share:.1%} of published facts are contested (over {MAX_CONFLICT_SHARE:.0%})"
        if share > MAX_CONFLICT_SHARE
        else None,
        metadata={
            "num_conflicts": n,
            "num_facts": facts,
            "conflict_share": round(share, 4),
            "threshold": MAX_CONFLICT_SHARE,
            "conflicts": dg.MetadataValue.md(
                _rows_md(
                    con,
                    "select scope, subject_id, attribute, published_value, chosen_source,"
                    " len(sides) as sides from core.conflicts order by subject_id, attribute",
                )
            ),
        },
    )


def evaluate_fresh(con) -> dg.AssetCheckResult:
    sql = (
        "select source, freshness, last_good_fetch_date, age_days, max_age_days, last_status,"
        " last_error from core.source_status where freshness <> 'fresh' order by source"
    )
    rows = con.execute(sql).fetchall()
    by_state: dict[str, list[str]] = {}
    for row in rows:
        by_state.setdefault(row[1], []).append(row[0])
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(by_state.items())) or None,
        metadata={
            "num_not_fresh": len(rows),
            "by_freshness": dg.MetadataValue.json({r[0]: r[1] for r in rows}),
            "sources": dg.MetadataValue.md(_rows_md(con, sql)),
        },
    )


# Offerings a source listed on its previous fetch and no longer lists on its newest one, with
# the last night each was seen. Models leave catalogs for good reasons, so this only warns.
DISAPPEARED_SQL = """
with
fetches as (
    select source, fetch_date, row_number() over (partition by source order by fetch_date desc) as n
    from (select distinct source, fetch_date from raw.source_loads where status = 'ok')
),

listed as (
    select distinct o.source, o.offering_id, o.model_id, o.fetch_date
    from core.typed_observations as o
    inner join fetches as f on f.source = o.source and f.fetch_date = o.fetch_date and f.n <= 2
    where o.subject = 'offering' and o.offering_id is not null
),

final as (
    select
        p.source,
        p.offering_id,
        p.model_id,
        p.fetch_date as last_seen,
        (select fetch_date from fetches as f where f.source = p.source and f.n = 1) as gone_on
    from listed as p
    inner join fetches as f on f.source = p.source and f.fetch_date = p.fetch_date and f.n = 2
    where not exists (
        select 1 from listed as c
        where c.source = p.source and c.offering_id = p.offering_id and c.fetch_date > p.fetch_date
    )
)

select * from final order by source, model_id, offering_id
"""


def evaluate_disappeared(con) -> dg.AssetCheckResult:
    n = _count(con, DISAPPEARED_SQL)
    by_source = con.execute(
        f"select source, count(*), any_value(gone_on) from ({DISAPPEARED_SQL})"
        " group by all order by 1"
    ).fetchall()
    return dg.AssetCheckResult(
        passed=n == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(f"{s}: {c} offerings gone on {d}" for s, c, d in by_source) or None,
        metadata={
            "num_disappeared": n,
            "by_source": dg.MetadataValue.json({s: c for s, c, _ in by_source}),
            "offending": dg.MetadataValue.md(_rows_md(con, DISAPPEARED_SQL)),
        },
    )


# --- pairs --------------------------------------------------------------------------------
def evaluate_pair_percentages(con) -> dg.AssetCheckResult:
    """A 'cheaper' share is never above 100% and never negative."""
    sql = """
        select key_a, key_b, input_pct_cheaper, output_pct_cheaper, blended_pct_cheaper
        from compare.pair_facts
        where input_pct_cheaper > 100 or output_pct_cheaper > 100 or blended_pct_cheaper > 100
            or input_pct_cheaper < 0 or output_pct_cheaper < 0 or blended_pct_cheaper < 0
    """
    bad = _count(con, sql)
    return dg.AssetCheckResult(
        passed=bad == 0,
        description=f"{bad} pairs with a percentage outside [0, 100]" if bad else None,
        metadata={"num_bad_pairs": bad, "offending": dg.MetadataValue.md(_rows_md(con, sql))},
    )


# --- the Dagster checks -------------------------------------------------------------------
def _check(asset, name: str, evaluate, description: str, blocking: bool = True):
    """One Dagster check around ``evaluate(con)``; a failure is also logged in words."""

    @dg.asset_check(
        asset=asset, name=name, blocking=blocking, description=description, pool="warehouse"
    )
    def _run(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            result = evaluate(con)
        if not result.passed:
            words = result.description or "see the check's metadata"
            if result.severity == dg.AssetCheckSeverity.WARN:
                context.log.warning("Warning check %s: %s", name, words)
            else:
                context.log.error(
                    "Blocking check %s failed: %s. The release is not published; see the "
                    "check's metadata for the offending rows.",
                    name,
                    words,
                )
        return result

    return _run


identity_schema = _check(
    normalize.identity, "identity_schema", lambda con: evaluate_schema(con, IDENTITY_SCHEMA),
    "Blocking: core.id_resolution and core.unmatched_ids have the expected columns and types.",
)  # fmt: skip
source_record_counts = _check(
    normalize.identity, "source_record_counts", record_drop_result,
    RECORD_DROP_DESCRIPTION.replace("a source's", "every source's"),
)  # fmt: skip
unmatched_ids_rate = _check(
    normalize.identity, "unmatched_ids_rate", evaluate_unmatched_ids,
    f"Blocking: at most {MAX_UNMATCHED_SHARE:.0%} of raw ids are unmatched, overall and in every "
    f"source with {MIN_IDS_FOR_SOURCE_SHARE}+ ids.",
)  # fmt: skip
aliases_unambiguous = _check(
    normalize.identity, "aliases_unambiguous", evaluate_aliases,
    "Blocking: no alias claims two models.",
)  # fmt: skip
facts_schema = _check(
    normalize.facts, "facts_schema", lambda con: evaluate_schema(con, FACTS_SCHEMA),
    "Blocking: facts, fact sources, conflicts, models, offerings, price history and source "
    "status have the expected columns and types.",
)  # fmt: skip
facts_plausible = _check(
    normalize.facts, "facts_plausible", evaluate_plausible,
    f"Blocking: published prices in [0, {MAX_PRICE_USD_PER_MTOK}] USD/Mtok, limits whole and in "
    f"(0, {MAX_TOKEN_LIMIT:,}] tokens, cached input <= input, max output <= context.",
)  # fmt: skip
offering_values_consistent = _check(
    normalize.facts, "offering_values_consistent", evaluate_offering_consistency,
    "Blocking: no published offering value comes from a record that states another value for "
    "the same attribute and tier in the same response.",
)  # fmt: skip
offering_values_within_source = _check(
    normalize.facts, "offering_values_within_source", evaluate_within_source,
    "Warning: records of one source that resolve to one offering disagree on a price or limit.",
    blocking=False,
)  # fmt: skip
conflicts_share = _check(
    normalize.facts, "conflicts_share", evaluate_conflicts,
    f"Warning: at most {MAX_CONFLICT_SHARE:.0%} of published facts are contested by a source.",
    blocking=False,
)  # fmt: skip
sources_fresh = _check(
    normalize.facts, "sources_fresh", evaluate_fresh,
    "Warning: every source is fresh at the run's as-of date (not stale, failing or missing).",
    blocking=False,
)  # fmt: skip
offerings_disappeared = _check(
    normalize.facts, "offerings_disappeared", evaluate_disappeared,
    "Warning: offerings a source listed on its previous fetch but not on its newest.",
    blocking=False,
)  # fmt: skip
pair_facts_schema = _check(
    compare.pair_facts, "pair_facts_schema", lambda con: evaluate_schema(con, PAIR_FACTS_SCHEMA),
    "Blocking: compare.pair_facts has the expected columns and types.",
)  # fmt: skip
pair_percentages_sane = _check(
    compare.pair_facts, "pair_percentages_sane", evaluate_pair_percentages,
    "Blocking: pair percentages say which way they go (never above 100%, never negative).",
)  # fmt: skip

all_checks = [
    identity_schema,
    source_record_counts,
    unmatched_ids_rate,
    aliases_unambiguous,
    facts_schema,
    facts_plausible,
    offering_values_consistent,
    offering_values_within_source,
    conflicts_share,
    sources_fresh,
    offerings_disappeared,
    pair_facts_schema,
    pair_percentages_sane,
]
