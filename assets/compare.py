"""Compare: pair facts for every unordered pair of models, computed in one DuckDB self-join.

Grain: one row per (model_a, model_b) with model_a < model_b in compare.pair_facts. Per-model
figures (cheapest paid routes, tier-aware monthly costs under each traffic profile) are
computed once per model first, so the pair step is arithmetic over N(N-1)/2 rows and nothing
loops over pairs outside SQL.
"""

from pathlib import Path

import dagster as dg
import yaml

from assets.normalize import count, facts, markdown_table, source_fetches, warehouse_run
from pipelines.resources import WarehouseResource

COMPARISON_FILE = Path(__file__).resolve().parent.parent / "registry" / "comparison.yaml"


def load_comparison_settings(path: Path = COMPARISON_FILE) -> dict:
    settings = yaml.safe_load(path.read_text())
    blend = settings["blend"]
    if (
        blend["input_weight"] < 0
        or blend["output_weight"] < 0
        or not (blend["input_weight"] + blend["output_weight"])
    ):
        raise ValueError(f"{path.name}: blend weights must be non-negative and not both zero")
    for profile in settings["traffic_profiles"]:
        if not 0 <= profile["cached_input_share"] <= 1:
            raise ValueError(f"{path.name}: {profile['id']}: cached_input_share must be in [0, 1]")
    return settings


def write_traffic_profiles(con, settings: dict) -> None:
    con.execute(
        "create or replace table compare.traffic_profiles (profile_id varchar primary key,"
        " description varchar, requests_per_month bigint, input_tokens_per_request bigint,"
        " output_tokens_per_request bigint, cached_input_share decimal(9, 6))"
    )
    con.executemany(
        "insert into compare.traffic_profiles values (?, ?, ?, ?, ?, ?)",
        [
            [
                p["id"],
                p.get("description", ""),
                p["requests_per_month"],
                p["input_tokens_per_request"],
                p["output_tokens_per_request"],
                str(p["cached_input_share"]),
            ]
            for p in settings["traffic_profiles"]
        ],
    )


def build_pair_facts(con, settings: dict) -> None:
    """Run the compare SQL on an open connection (also used by the benchmark)."""
    blend = settings["blend"]
    write_traffic_profiles(con, settings)
    warehouse_run(con, "create_macros.sql")
    warehouse_run(
        con,
        "build_model_summary.sql",
        {"input_weight": blend["input_weight"], "output_weight": blend["output_weight"]},
    )
    warehouse_run(con, "build_profile_costs.sql")
    warehouse_run(con, "build_pair_facts.sql")


@dg.asset(
    key=["compare", "pair_facts"],
    group_name="compare",
    deps=[facts],
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool="warehouse",
    kinds={"duckdb"},
)
def pair_facts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per unordered pair of models in compare.pair_facts (plus compare.model_summary
    and compare.model_profile_costs, one row per model and per model and traffic profile)."""
    settings = load_comparison_settings()
    with warehouse.connect() as con:
        con.execute("begin transaction")
        build_pair_facts(con, settings)
        con.execute("commit")
        num_pairs = count(con, "select count(*) from compare.pair_facts")
        num_models = count(con, "select count(*) from compare.model_summary")
        published = count(con, "select count(*) from compare.pair_facts where published")
        context.log.info(
            "Computed %d pair rows over %d models (%d published pairs)",
            num_pairs,
            num_models,
            published,
        )
        preview = markdown_table(
            con,
            "select model_a, model_b, input_cheaper, input_pct_cheaper, output_cheaper, "
            "output_pct_cheaper, larger_context from compare.pair_facts_readable where published "
            "order by model_a, model_b",
        )
        sources = source_fetches(con)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": num_pairs,
            "num_models": num_models,
            "num_published_pairs": published,
            "blend_weights": dg.MetadataValue.json(settings["blend"]),
            "preview": dg.MetadataValue.md(preview),
            "sources": sources,
        }
    )
