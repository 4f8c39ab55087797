"""Normalize: observations become identity, typed values, facts, conflicts and history.

Everything here is a full rebuild from ``raw`` (derived tables only, ``create or replace``), so
it is deterministic for a given raw layer and as-of date, and a backfill that changes raw
slices is followed by one rebuild. The SQL is in ``sql/``; these functions only sequence it and
report figures.
"""

import datetime as dt

import dagster as dg

from modelcompare import registry, warehouse
from modelcompare.sources import SOURCES
from pipelines.resources import HttpResource, ReleaseResource, WarehouseResource

_SINGLE_RUN = dg.BackfillPolicy.single_run()
MAX_AGE_DAYS = {"daily": 2, "weekly": 8, "monthly": 35}


def resolve_as_of(con, release: ReleaseResource, http: HttpResource) -> dt.date:
    """The date facts are judged at: configured, else the newest fetch (replay), else today.

    Replay runs are therefore deterministic: the same archive gives the same staleness.
    """
    if release.as_of:
        return dt.date.fromisoformat(release.as_of)
    if http.mode == "replay":
        row = con.execute(
            "select max(fetch_date) from raw.source_loads where status = 'ok'"
        ).fetchone()
        if row and row[0]:
            return row[0]
    return dt.datetime.now(dt.UTC).date()


def write_source_specs(con) -> None:
    con.execute(
        "create or replace table core.source_specs (source varchar primary key, title varchar,"
        " refresh varchar, max_age_days integer, made_fixture boolean, urls varchar[])"
    )
    con.executemany(
        "insert into core.source_specs values (?, ?, ?, ?, ?, ?)",
        [
            [s.name, s.title, s.refresh, MAX_AGE_DAYS[s.refresh], s.made_fixture, list(s.urls)]
            for s in SOURCES
        ],
    )


def count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def source_fetches(con) -> dg.MetadataValue:
    """Each source's URL(s) and the fetch time of the data this asset was built from."""
    return dg.MetadataValue.md(
        markdown_table(
            con,
            "select s.source, s.freshness, s.last_good_fetched_at as fetched_at,"
            " coalesce(p.urls[1], '') as url, len(p.urls) as num_urls"
            " from core.source_status as s left join core.source_specs as p using (source)"
            " order by s.source",
            limit=50,
        )
    )


def markdown_table(con, sql: str, limit: int = 10) -> str:
    cursor = con.execute(f"select * from ({sql}) limit {int(limit)}")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += [
        "| " + " | ".join("" if v is None else str(v)[:60] for v in row) + " |" for row in rows
    ]
    return "\n".join(lines)


@dg.asset(
    key=["core", "identity"],
    group_name="normalize",
    deps=[dg.AssetKey(["raw", s.name]) for s in SOURCES],
    backfill_policy=_SINGLE_RUN,
    pool="warehouse",
    kinds={"duckdb"},
)
def identity(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per (source, raw id, fetch date) in core.id_resolution, mapped to a canonical
    model or reported in core.unmatched_ids; the curated registry loaded alongside."""
    with warehouse.connect() as con:
        con.execute("begin transaction")
        build_identity(con)
        con.execute("commit")
        num_ids = count(con, "select count(distinct (source, raw_id)) from core.id_resolution")
        unmatched = count(con, "select count(*) from core.unmatched_ids")
        by_rule = con.execute(
            "select rule, count(distinct (source, raw_id)) from core.id_resolution group by all order by 1"
        ).fetchall()
        models = count(con, "select count(distinct model_id) from core.id_resolution")
        context.log.info(
            "Resolved %d raw ids to %d models; %d unmatched", num_ids, models, unmatched
        )
        preview = markdown_table(
            con, "select source, raw_id, reason from core.unmatched_ids order by source, raw_id"
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": num_ids,
            "num_models": models,
            "num_unmatched_ids": unmatched,
            "unmatched_share": round(unmatched / num_ids, 4) if num_ids else 0.0,
            "ids_by_rule": dg.MetadataValue.json(dict(by_rule)),
            "unmatched_preview": dg.MetadataValue.md(preview),
        }
    )


def warehouse_run(con, name: str, params: dict | None = None) -> None:
    warehouse.run_sql(con, name, params)


def build_identity(con) -> None:
    """The curated registry, then every raw id resolved (sql/build_identity.sql)."""
    registry.write_tables(con, registry.load())
    warehouse_run(con, "create_macros.sql")
    warehouse_run(con, "build_identity.sql")


def build_facts(con, as_of: dt.date) -> None:
    """Typed observations, source status, facts (chosen twice: candidates that contradict the
    first choice are rejected before the second) and the catalog, judged at ``as_of``."""
    write_source_specs(con)
    warehouse_run(con, "create_macros.sql")
    warehouse_run(con, "build_typed_observations.sql")
    warehouse_run(con, "build_source_status.sql", {"as_of": as_of})
    warehouse_run(con, "build_fact_candidates.sql", {"as_of": as_of})
    warehouse_run(con, "choose_facts.sql")
    warehouse_run(con, "reject_inconsistent_candidates.sql")
    warehouse_run(con, "choose_facts.sql")
    warehouse_run(con, "build_catalog.sql")


@dg.asset(
    key=["core", "facts"],
    group_name="normalize",
    deps=[identity],
    backfill_policy=_SINGLE_RUN,
    pool="warehouse",
    kinds={"duckdb"},
)
def facts(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    release: ReleaseResource,
    http: HttpResource,
) -> dg.MaterializeResult:
    """One row per (offering or model, attribute, qualifier, tier) in core.facts: the value
    chosen by precedence, its observations (core.fact_sources), verified_at and conflicts
    (core.conflicts); plus core.models, core.offerings and core.price_history."""
    with warehouse.connect() as con:
        as_of = resolve_as_of(con, release, http)
        con.execute("begin transaction")
        build_facts(con, as_of)
        con.execute("commit")
        figures = {
            "num_facts": count(con, "select count(*) from core.facts"),
            "num_models": count(con, "select count(*) from core.models"),
            "num_offerings": count(con, "select count(*) from core.offerings"),
            "num_conflicts": count(con, "select count(*) from core.conflicts"),
            "num_rejected_observations": count(
                con, "select count(*) from core.fact_candidates where reject_reason is not null"
            ),
            "num_price_history_rows": count(con, "select count(*) from core.price_history"),
        }
        status = con.execute(
            "select s.source, s.freshness, s.last_good_fetched_at, s.age_days,"
            " coalesce(p.urls[1], '') || case when len(p.urls) > 1 then ' (+' || (len(p.urls) - 1)"
            " || ' more)' else '' end from core.source_status as s"
            " left join core.source_specs as p using (source) order by s.source"
        ).fetchall()
        context.log.info("As of %s: %s", as_of, figures)
        conflicts = markdown_table(
            con,
            "select scope, subject_id, attribute, published_value, chosen_source, len(sides) as sides "
            "from core.conflicts order by subject_id, attribute",
        )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": figures["num_facts"],
            "as_of": as_of.isoformat(),
            **figures,
            "source_status": dg.MetadataValue.md(
                "| source | freshness | fetched at | age (days) | url |\n|---|---|---|---|---|\n"
                + "\n".join(f"| {s} | {f} | {d} | {a} | {u} |" for s, f, d, a, u in status)
            ),
            "conflicts_preview": dg.MetadataValue.md(conflicts),
        }
    )
