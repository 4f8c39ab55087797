"""SYNTHETIC data for the benchmark: N canonical models scaled from a real warehouse.

Nothing here is real data and nothing here is ever published. The benchmark (``scripts/benchmark.py``)
needs warehouses of 500 to 5,000 models, more than the recorded sources hold (about 2,000), with
the same shape as the real thing. So it takes a *template*: a warehouse built from the recorded
archive by the same code the Dagster assets run (``build_template``), and ``populate`` copies it
into a new warehouse at any size:

- Template models are taken in a fixed order (the published ones first, then the rest shuffled by
  a seed) and dealt round-robin, so every real model is used ``N // R`` or ``N // R + 1`` times
  (R = real models). Distributions of providers per model, prices, capabilities, context windows,
  benchmarks, conflicts and the published share are therefore the real ones.
- Copy ``c`` of a template model gets its own ids (``syn<k>-<real id>``), every one marked
  synthetic, and its offering prices scaled by a factor in [0.80, 1.20] (copy 0 keeps the real
  prices), so copies are not all ties.
- Only the tables the compare SQL and the release documents read are written: ``core.models``,
  ``core.offerings``, ``core.facts``, ``core.fact_sources``, ``core.price_history``,
  ``core.conflicts``, and unchanged copies of ``core.registry_licenses``, ``core.source_specs``,
  ``core.source_status`` and ``raw.responses``. ``bench.synthetic`` says how the data was made.

Everything is set-based SQL; no Python loop over models or pairs.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb

from modelcompare import warehouse
from modelcompare.archive import Archive

REPO = Path(__file__).resolve().parent.parent
REPLAY_DIR = REPO / "replay"
# The sources a quick template is built from: the newest fetch of two that list many providers,
# prices and capabilities, and of the benchmark source. Small enough for CI (a few seconds).
QUICK_SOURCES = ("openrouter", "litellm", "aa_benchmarks")
PRICE_ATTRIBUTES = (
    "price_input", "price_output", "price_cache_read", "price_cache_write",
    "price_batch_input", "price_batch_output", "price_image", "price_request",
)  # fmt: skip
COPIED_AS_IS = (
    "core.registry_licenses",
    "core.source_specs",
    "core.source_status",
    "raw.responses",
)
# Tables copied once per synthetic model, ids rewritten (and offering prices scaled), with the
# rows kept (the release documents read only the rejected candidates).
CLONED = (
    ("core.offerings", None),
    ("core.facts", None),
    ("core.fact_sources", None),
    ("core.price_history", None),
    ("core.conflicts", None),
    ("core.fact_candidates", "t.reject_reason is not null"),
)


def build_template(
    path: str | os.PathLike[str],
    archive_dir: str | os.PathLike[str] = REPLAY_DIR,
    *,
    quick: bool = False,
) -> dict:
    """Build a real warehouse from a recorded archive without Dagster, with the functions the
    ingest, identity and facts assets call. ``quick`` loads only the newest fetch of a few
    sources (see QUICK_SOURCES). Returns figures about what was loaded."""
    # Imported here: the assets pull in Dagster, which the rest of this module does not need.
    from assets.normalize import build_facts, build_identity
    from modelcompare.sources import SOURCES

    path = Path(path)
    for leftover in (path, path.with_suffix(path.suffix + ".wal")):
        leftover.unlink(missing_ok=True)
    archive = Archive(archive_dir)
    con = warehouse.connect(path)
    loaded = 0
    try:
        for spec in SOURCES:
            if quick and spec.name not in QUICK_SOURCES:
                continue
            dates = archive.fetch_dates(spec.name)
            if quick:
                dates = dates[-1:]
            parser = spec.load_parser()
            for fetch_date in dates:
                parsed, num_records = [], 0
                for ref in archive.responses(spec.name, fetch_date):
                    response = archive.load(ref)
                    result = parser(response)
                    num_records += result.num_records
                    parsed.append((response, result.observations, result.issues))
                if parsed:
                    loaded += warehouse.replace_slice(
                        con, spec.name, fetch_date, parsed, num_records=num_records
                    )
        con.execute("begin transaction")
        build_identity(con)
        as_of = _replay_as_of(con)
        build_facts(con, as_of)
        con.execute("commit")
        models = con.execute("select count(*) from core.models").fetchone()[0]
    finally:
        con.close()
    return {"observations": loaded, "models": models, "as_of": as_of.isoformat()}


def _replay_as_of(con) -> dt.date:
    """As the facts asset judges a replay run: the newest good fetch date."""
    row = con.execute("select max(fetch_date) from raw.source_loads where status = 'ok'").fetchone()
    return row[0] if row and row[0] else dt.datetime.now(dt.UTC).date()


def _clone(con: duckdb.DuckDBPyConnection, table: str, where: str | None) -> None:
    """Copy ``table`` from the template once per synthetic model that copies its subject."""
    schema, name = table.split(".")
    columns = {
        c
        for (c,) in con.execute(
            "select column_name from duckdb_columns() where database_name = 'tpl'"
            " and schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    if not columns:
        return  # an older template without this table
    price_attrs = "(" + ", ".join(f"'{a}'" for a in PRICE_ATTRIBUTES) + ")"
    scaled = (
        f"case when t.attribute in {price_attrs} then (t.num_value * o.factor)::decimal(38, 12)"
        " else t.num_value end as num_value"
        if {"attribute", "num_value"} <= columns
        else None
    )
    filters = [where] if where else []

    def replaced(pairs: dict[str, str]) -> str:
        items = [f"{expr} as {col}" for col, expr in pairs.items() if col in columns]
        return f"t.* replace ({', '.join(items)})" if items else "t.*"

    offering = {"offering_id": "o.offering_id", "model_id": "o.model_id"}
    if scaled:
        offering["num_value"] = scaled.removesuffix(" as num_value")
    model = {"model_id": "m.model_id"}
    if {"scope", "subject_id"} <= columns:
        parts = [
            f"select {replaced({**offering, 'subject_id': 'o.offering_id'})} from syn_offerings as o"
            " inner join tpl.{table} as t on t.scope = 'offering' and t.subject_id = o.tpl_offering",
            f"select {replaced({**model, 'subject_id': 'm.model_id'})} from syn_models as m"
            " inner join tpl.{table} as t on t.scope = 'model' and t.subject_id = m.tpl_model",
        ]
    elif "offering_id" in columns:
        parts = [
            f"select {replaced(offering)} from syn_offerings as o"
            " inner join tpl.{table} as t on t.offering_id = o.tpl_offering"
        ]
    else:
        parts = [
            f"select {replaced(model)} from syn_models as m"
            " inner join tpl.{table} as t on t.model_id = m.tpl_model"
        ]
    sql = " union all by name ".join(
        part.format(table=table) + (" where " + " and ".join(filters) if filters else "")
        for part in parts
    )
    con.execute(f"create or replace table {table} as {sql}")


def populate(
    con: duckdb.DuckDBPyConnection,
    n: int,
    template: str | os.PathLike[str],
    *,
    seed: int = 1,
    max_published: int | None = None,
) -> dict:
    """Fill the open (empty or previously populated) warehouse ``con`` with ``n`` synthetic
    models scaled from the warehouse file ``template``; ``max_published`` caps how many stay
    published (the rest are not). Returns figures about the result."""
    if n < 2:
        raise ValueError("need at least two models for a pair")
    con.execute("attach ? as tpl (read_only)", [str(template)])
    try:
        for schema in ("core", "raw", "bench"):
            con.execute(f"create schema if not exists {schema}")
        # One row per synthetic model: which real model it copies, and which copy it is.
        con.execute(
            """
            create or replace temp table syn_models as
            with ordered as (
                select model_id,
                    (row_number() over (order by publish desc, hash(model_id, $seed), model_id)) - 1 as rank
                from tpl.core.models
            ),
            real_count as (select count(*) as r from ordered)
            select
                k,
                o.model_id as tpl_model,
                k // real_count.r as copy,
                'syn' || lpad(k::varchar, 5, '0') || '-' || o.model_id as model_id
            from range($n) as t(k)
            cross join real_count
            inner join ordered as o on o.rank = k % real_count.r
            """,
            {"n": n, "seed": seed},
        )
        # Every offering id the template uses (offerings, and offering facts), per synthetic copy,
        # with the factor its prices are scaled by (1 for the first copy of a model).
        con.execute(
            """
            create or replace temp table syn_offerings as
            with tpl_offerings as (
                select offering_id, model_id from tpl.core.offerings
                union
                select offering_id, model_id from tpl.core.facts where scope = 'offering'
            )
            select
                m.k,
                o.offering_id as tpl_offering,
                'syn' || lpad(m.k::varchar, 5, '0') || '-' || o.offering_id as offering_id,
                m.model_id,
                case when m.copy = 0 then 1.0
                    else 0.8 + (hash(m.k, o.offering_id, $seed) % 41)::decimal(6, 3) / 100 end
                    ::decimal(6, 3) as factor
            from syn_models as m
            inner join tpl_offerings as o on o.model_id = m.tpl_model
            """,
            {"seed": seed},
        )
        con.execute(
            """
            create or replace table core.models as
            select t.* replace (m.model_id as model_id, t.name || ' [synthetic ' || m.k || ']' as name)
            from syn_models as m inner join tpl.core.models as t on t.model_id = m.tpl_model
            """
        )
        if max_published is not None:
            con.execute(
                "update core.models set publish = false where publish and model_id not in"
                " (select model_id from core.models where publish order by model_id limit ?)",
                [max_published],
            )
        for table, where in CLONED:
            _clone(con, table, where)
        for table in COPIED_AS_IS:
            con.execute(f"create or replace table {table} as select * from tpl.{table}")
        real = con.execute("select count(*) from tpl.core.models").fetchone()[0]
        con.execute(
            "create or replace table bench.synthetic as select 'SYNTHETIC: scaled from a real"
            " warehouse by modelcompare.synthetic; not real data' as note, ? as template,"
            " ? as real_models, ? as models, ? as seed, now() as made_at",
            [str(template), real, n, seed],
        )
        figures = con.execute(
            """
            select
                (select count(*) from core.models),
                (select count(*) from core.models where publish),
                (select count(*) from core.offerings),
                (select count(distinct provider_id) from core.offerings),
                (select count(*) from core.facts)
            """
        ).fetchone()
    finally:
        con.execute("drop table if exists syn_models")
        con.execute("drop table if exists syn_offerings")
        con.execute("detach tpl")
    names = ("models", "published_models", "offerings", "providers", "facts")
    return {"real_models": real, **dict(zip(names, figures, strict=True))}
