"""The cases real catalogs got wrong (tests/cases/, copied from the project's case list), each
run through the pipeline's own stages in an archive of its own, plus variants of each case's
kind of fault on other models, providers and units.

Money is USD per million tokens throughout.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from modelcompare.archive import Archive, ArchivedResponse
from tests.harness import case_archive, load_case, rows, run_pipeline

LITELLM_URL = (
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
)
OPENROUTER_URL = "https://openrouter.ai/api/v1/models"


@pytest.fixture
def run_case(tmp_path):
    def run(case_id: str, **kwargs):
        return run_pipeline(
            case_archive(case_id, tmp_path / "archive"), tmp_path / "w.duckdb", **kwargs
        )

    return run


def archive_of(tmp_path, *responses) -> Archive:
    """An archive of hand-shaped responses: (source, url, body, fetched_at iso)."""
    archive = Archive(tmp_path / "archive")
    for source, url, body, fetched_at in responses:
        text = body if isinstance(body, str) else json.dumps(body)
        archive.put(
            ArchivedResponse.from_bytes(
                source, url, text.encode(), dt.datetime.fromisoformat(fetched_at)
            )
        )
    return archive


def offering_prices(con, model_id: str) -> dict[tuple[str, str], Decimal]:
    return {
        (r["provider_id"], r["attribute"]): r["num_value"]
        for r in rows(
            con,
            "select provider_id, attribute, num_value from core.facts "
            "where scope = 'offering' and model_id = ? and tier_min_tokens = 0 and variant is null",
            [model_id],
        )
    }


def summary(con, model_id: str) -> dict:
    (row,) = rows(con, "select * from compare.model_summary where model_id = ?", [model_id])
    return row


# --- C01: a per-million price stored in a per-token field -----------------------------------
def test_c01_per_token_field_holding_per_million_price_is_flagged_and_never_cheapest(run_case):
    con = run_case("C01")
    prices = offering_prices(con, "gpt-oss-120b")
    assert prices[("groq", "price_input")] == Decimal("0.15")
    assert prices[("groq", "price_output")] == Decimal("0.75")
    assert prices[("deepinfra", "price_input")] == Decimal("0.09")
    assert prices[("deepinfra", "price_output")] == Decimal("0.45")
    assert ("wandb", "price_input") not in prices  # kept out of facts
    rejected = rows(
        con,
        "select provider_id, raw_id, raw_value, reject_reason from core.rejected_observations "
        "where provider_id = 'wandb' order by attribute",
    )
    assert [(r["raw_id"], r["raw_value"], r["reject_reason"]) for r in rejected] == [
        ("wandb/openai/gpt-oss-120b", "0.015", "implausible_high"),
        ("wandb/openai/gpt-oss-120b", "0.06", "implausible_high"),
    ]
    cheapest = summary(con, "gpt-oss-120b")
    assert cheapest["cheapest_input"]["provider_id"] == "deepinfra"
    assert cheapest["input_price"] == Decimal("0.09")
    assert cheapest["cheapest_blended"]["provider_id"] != "wandb"


@pytest.mark.parametrize(
    ("field", "value", "unit_note"),
    [
        ("input_cost_per_token", 3.5, "per-million figure in a per-token field (3.5M USD/M)"),
        ("input_cost_per_token", 0.0012, "per-1K figure in a per-token field (1,200 USD/M)"),
    ],
)
def test_c01_kind_other_providers_and_scales(tmp_path, field, value, unit_note):
    # Same fault on another model and provider: a per-token field holding a bigger unit.
    body = {
        "bedrock/meta.llama3-1-8b-instruct-v1:0": {
            "litellm_provider": "bedrock", "mode": "chat", field: value,
            "output_cost_per_token": 6e-07,
        },
        "together_ai/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo": {
            "litellm_provider": "together_ai", "mode": "chat",
            "input_cost_per_token": 1.8e-07, "output_cost_per_token": 1.8e-07,
        },
    }  # fmt: skip
    con = run_pipeline(
        archive_of(tmp_path, ("litellm", LITELLM_URL, body, "2026-07-24T18:00:00+00:00")),
        tmp_path / "w.duckdb",
    )
    (flag,) = rows(
        con,
        "select reject_reason from core.rejected_observations where provider_id = 'aws-bedrock' "
        "and attribute = 'price_input'",
    )
    assert flag["reject_reason"] == "implausible_high", unit_note
    assert summary(con, "llama-3.1-8b-instruct")["cheapest_input"]["provider_id"] == "together"


# --- C02: a per-token price stored in a per-million field -----------------------------------
def test_c02_per_million_field_holding_per_token_price_is_flagged_and_kept(run_case):
    con = run_case("C02")
    rejected = rows(
        con,
        "select attribute, raw_value, reject_reason from core.rejected_observations "
        "where source = 'models_dev' and attribute like 'price%' order by attribute",
    )
    assert [(r["attribute"], r["raw_value"], r["reject_reason"]) for r in rejected] == [
        ("price_cache_read", "7.5E-8", "implausible_low"),
        ("price_input", "7.5E-7", "implausible_low"),
        ("price_output", "0.0000045", "implausible_low"),
    ]
    (model,) = rows(con, "select distinct model_id from core.rejected_observations")
    assert summary(con, model["model_id"])["cheapest_input"] is None  # never wins "cheapest"
    # The limits and capabilities of the same file are still facts.
    (ctx,) = rows(
        con,
        "select num_value from core.facts where scope = 'offering' and attribute = 'context_window'",
    )
    assert ctx["num_value"] == 400000


# --- C03: columns found by header, whatever the markup or order -----------------------------
def test_c03_both_layouts_give_the_same_prices(run_case):
    con = run_case("C03")
    for model_id, expected in {
        "o1": {"price_input": "15.00", "price_cache_read": "7.50", "price_output": "60.00"},
        "o3-mini": {"price_input": "1.10", "price_cache_read": "0.55", "price_output": "4.40"},
    }.items():
        prices = offering_prices(con, model_id)
        assert {a: prices[("openai", a)] for a in expected} == {
            a: Decimal(v) for a, v in expected.items()
        }
    # Two layouts, one offering each, agreeing: no conflict.
    assert rows(con, "select count(*) as n from core.conflicts")[0]["n"] == 0
    assert (
        rows(
            con,
            "select count(distinct response_id) as n from raw.observations where raw_id = 'o1' "
            "and attribute = 'price_output' and value = '60.00'",
        )[0]["n"]
        == 2
    )


# --- C04: a long-context tier reprices the whole request ------------------------------------
@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "expected_usd", "tier"),
    [
        (250_000, 1_000, Decimal("1.5225"), 200_000),
        (200_000, 1_000, Decimal("0.615"), 0),  # exactly at the threshold: base rates
        (200_001, 1_000, Decimal("1.222506"), 200_000),
    ],
)
def test_c04_tier_applies_to_the_whole_request(
    tmp_path, input_tokens, output_tokens, expected_usd, tier
):
    settings = {
        "blend": {"input_weight": 3, "output_weight": 1},
        "traffic_profiles": [
            {"id": "one-request", "requests_per_month": 1, "input_tokens_per_request": input_tokens,
             "output_tokens_per_request": output_tokens, "cached_input_share": 0},
        ],
    }  # fmt: skip
    con = run_pipeline(
        case_archive("C04", tmp_path / "archive"), tmp_path / "w.duckdb", settings=settings
    )
    (tiers,) = rows(
        con,
        "select list(distinct tier_min_tokens order by tier_min_tokens) as t, list(distinct tier_rule) as r "
        "from core.facts where scope = 'offering' and model_id = 'claude-sonnet-4' and tier_min_tokens > 0",
    )
    assert tiers["t"] == [200_000] and tiers["r"] == ["whole_request"]  # stored as data
    (cost,) = rows(
        con, "select * from compare.offering_profile_costs where model_id = 'claude-sonnet-4'"
    )
    assert cost["cost_per_request_usd"] == expected_usd
    assert cost["tier_min_tokens"] == tier  # the monthly-cost fact says which tier it used


# --- C05: one endpoint's limit is not the model's limit -------------------------------------
def test_c05_endpoint_limits_stay_on_the_offering(run_case):
    con = run_case("C05")
    facts = {
        (r["scope"], r["attribute"]): r["num_value"]
        for r in rows(
            con, "select scope, attribute, num_value from core.facts where model_id = 'mimo-v-2-5'"
        )
    }
    assert facts[("model", "context_window")] == 1_048_576
    assert facts[("offering", "context_window")] == 32_000
    assert facts[("offering", "max_output_tokens")] == 8_192
    assert facts[("offering", "price_input")] == Decimal("0.40")
    assert facts[("offering", "price_output")] == Decimal("2.00")


# --- C06: context window, max input and max output are three facts --------------------------
def test_c06_limits_are_separate_and_litellm_max_input_is_never_the_context(run_case):
    con = run_case("C06")

    def fact(model, scope, attribute, provider=None):
        return rows(
            con,
            "select num_value from core.facts where model_id = ? and scope = ? and attribute = ?"
            " and (? is null or provider_id = ?)",
            [model, scope, attribute, provider, provider],
        )

    assert fact("gpt-5", "model", "context_window")[0]["num_value"] == 400_000
    assert fact("gpt-5", "offering", "max_input_tokens", "openai")[0]["num_value"] == 272_000
    assert fact("gpt-5", "offering", "max_output_tokens", "openai")[0]["num_value"] == 128_000
    assert fact("gpt-5-chat-latest", "model", "context_window")[0]["num_value"] == 128_000
    assert (
        fact("gpt-5-chat-latest", "offering", "max_output_tokens", "openai")[0]["num_value"]
        == 16_384
    )
    # No context window ever comes from LiteLLM.
    assert (
        rows(
            con,
            "select count(*) as n from raw.observations where source = 'litellm' and attribute = 'context_window'",
        )[0]["n"]
        == 0
    )
    prices = offering_prices(con, "gpt-5")
    assert prices[("openai", "price_input")] == Decimal("1.25")
    assert prices[("openai", "price_output")] == Decimal("10")
    assert prices[("openai", "price_cache_read")] == Decimal("0.125")
    assert (
        rows(con, "select count(*) as n from core.conflicts where model_id = 'gpt-5'")[0]["n"] == 0
    )
    bad = rows(
        con,
        "select o.subject_id from core.facts as o inner join core.facts as c on c.scope = o.scope"
        " and c.subject_id = o.subject_id and c.attribute = 'context_window'"
        " where o.attribute = 'max_output_tokens' and o.num_value > c.num_value",
    )
    assert bad == []


def test_c06_kind_output_equal_to_context_is_flagged_for_review(tmp_path):
    body = {
        "deepinfra/meta-llama/Llama-3.2-11B-Vision-Instruct": {
            "litellm_provider": "deepinfra", "mode": "chat", "max_input_tokens": 131072,
            "max_output_tokens": 131072, "input_cost_per_token": 4.9e-08, "output_cost_per_token": 4.9e-08,
        }
    }  # fmt: skip
    card = {"data": [{"id": "meta-llama/llama-3.2-11b-vision-instruct", "context_length": 131072,
                      "pricing": {"prompt": "0.000000049", "completion": "0.000000049"},
                      "architecture": {"input_modalities": ["text", "image"]},
                      "top_provider": {"context_length": 131072, "max_completion_tokens": 131072}}]}  # fmt: skip
    con = run_pipeline(
        archive_of(
            tmp_path,
            ("litellm", LITELLM_URL, body, "2026-07-24T18:00:00+00:00"),
            ("openrouter", OPENROUTER_URL, card, "2026-07-24T18:00:00+00:00"),
        ),
        tmp_path / "w.duckdb",
    )
    flagged = rows(
        con,
        "select provider_id from core.facts where attribute = 'max_output_tokens' and output_equals_context "
        "order by provider_id",
    )
    assert [r["provider_id"] for r in flagged] == ["openrouter"]  # same context + output, flagged
    # ... and left out of the model-level "up to N tokens out".
    assert summary(con, "llama-3.2-11b-vision-instruct")["max_output_tokens"] is None


# --- C07: one model, many ids; two versions, never one ---------------------------------------
def test_c07_ids_resolve_to_the_right_models(tmp_path):
    ids = load_case("C07")["responses"][0]["body"].split()
    # Every id as a price from three sources, so each must resolve by rule, not by frequency.
    body = {
        i: {"litellm_provider": "bedrock", "mode": "chat", "input_cost_per_token": 1e-07}
        for i in ids
    }
    con = run_pipeline(
        archive_of(tmp_path, ("litellm", LITELLM_URL, body, "2026-07-24T18:00:00+00:00")),
        tmp_path / "w.duckdb",
    )
    resolved = {r["raw_id"]: r for r in rows(con, "select * from core.id_resolution")}
    assert {resolved[i]["model_id"] for i in ids[0:3]} == {"gpt-5-nano"}
    assert {resolved[i]["model_id"] for i in ids[3:6]} == {"claude-sonnet-4.5"}
    assert {resolved[i]["model_id"] for i in ids[6:11]} == {"llama-3.2-11b-vision-instruct"}
    assert resolved["mistralai/magistral-small-2506"]["model_id"] == "magistral-small-2506"
    assert resolved["mistral.magistral-small-2509"]["model_id"] == "magistral-small-2509"
    assert resolved["magistral-small-2509"]["model_id"] == "magistral-small-2509"
    # Quantized serving and regions are offering attributes, not models.
    offerings = {
        r["raw_ids"][0]: r
        for r in rows(con, "select raw_ids, region, quantization from core.offerings")
        if len(r["raw_ids"]) == 1
    }
    assert offerings["meta-llama/Llama-3.2-11B-Vision-Instruct-Turbo"]["quantization"] == "fp8"
    assert offerings["us.meta.llama3-2-11b-instruct-v1:0"]["region"] == "us"
    assert offerings["us.anthropic.claude-sonnet-4-5-20250929-v1:0"]["region"] == "us"


@pytest.mark.parametrize(
    ("raw_ids", "same"),
    [
        # Vertex @date, Bedrock regional and versioned ids of one un-curated model: one model.
        (
            [
                "claude-opus-4-1@20250805",
                "eu.anthropic.claude-opus-4-1-20250805-v1:0",
                "anthropic/claude-opus-4-1-20250805",
            ],
            True,
        ),
        # Dated versions of an un-curated model stay apart.
        (["devstral-small-2505", "devstral-small-2507"], False),
        (["qwen3-coder-480b-a35b-instruct-2507", "qwen3-coder-480b-a35b-instruct-2510"], False),
    ],
)
def test_c07_kind_normalization_merges_spellings_not_versions(tmp_path, raw_ids, same):
    body_a = {
        i: {"litellm_provider": "vertex_ai", "mode": "chat", "input_cost_per_token": 2e-06}
        for i in raw_ids
    }
    body_b = {"data": [{"id": f"other/{i}", "context_length": 128000, "pricing": {"prompt": "0.000002", "completion": "0.000006"}} for i in raw_ids]}  # fmt: skip
    con = run_pipeline(
        archive_of(
            tmp_path,
            ("litellm", LITELLM_URL, body_a, "2026-07-24T18:00:00+00:00"),
            ("openrouter", OPENROUTER_URL, body_b, "2026-07-24T18:00:00+00:00"),
        ),
        tmp_path / "w.duckdb",
    )
    models = {
        r["model_id"]
        for r in rows(con, "select model_id from core.id_resolution where source = 'litellm'")
    }
    assert (len(models) == 1) is same
    assert None not in models


def test_c07_kind_unresolved_id_is_reported_never_priced(tmp_path):
    body = {"someprovider/mystery-model-7b": {"litellm_provider": "someprovider", "mode": "chat",
                                              "input_cost_per_token": 0, "output_cost_per_token": 0}}  # fmt: skip
    con = run_pipeline(
        archive_of(tmp_path, ("litellm", LITELLM_URL, body, "2026-07-24T18:00:00+00:00")),
        tmp_path / "w.duckdb",
    )
    (unmatched,) = rows(con, "select * from core.unmatched_ids")
    assert (unmatched["source"], unmatched["raw_id"]) == (
        "litellm",
        "someprovider/mystery-model-7b",
    )
    assert rows(con, "select count(*) as n from core.facts")[0]["n"] == 0
    assert rows(con, "select count(*) as n from core.models")[0]["n"] == 0


# --- C08: sentinels and free offers never become "cheapest" ---------------------------------
def test_c08_router_sentinel_and_free_offer(run_case):
    con = run_case("C08")
    (auto,) = rows(con, "select * from core.unmatched_ids where raw_id = 'openrouter/auto'")
    assert auto["rule"] == "not_a_model"
    assert "router" in auto["reason"]
    assert (
        rows(con, "select count(*) as n from raw.observations where try_cast(value as double) < 0")[
            0
        ]["n"]
        == 0
    )
    (unknown,) = rows(
        con,
        "select value, note from raw.observations where raw_id = 'openrouter/auto' and attribute = 'price_input'",
    )
    assert unknown == {"value": None, "note": "dynamic"}
    offers = rows(
        con,
        "select variant, is_free from core.offerings where model_id = 'mistral-small-3.2-24b-instruct-2506' "
        "order by variant nulls first",
    )
    assert [(o["variant"], o["is_free"]) for o in offers] == [(None, False), ("free", True)]
    cheapest = summary(con, "mistral-small-3.2-24b-instruct-2506")
    assert cheapest["input_price"] == Decimal("0.06")
    assert cheapest["output_price"] == Decimal("0.18")
    assert cheapest["num_free_offerings"] == 1


def test_c08_kind_zero_priced_paid_listing_is_free_not_cheapest(tmp_path):
    # models.dev lists Llama 3.2 11B Vision at 0 / 0 on NVIDIA and GitHub Models (free tiers).
    body = {
        "meta.llama3-2-11b-instruct-v1:0": {"litellm_provider": "bedrock", "mode": "chat",
            "input_cost_per_token": 3.5e-07, "output_cost_per_token": 3.5e-07},
        "nvidia_nim/meta/llama-3.2-11b-vision-instruct": {"litellm_provider": "nvidia_nim", "mode": "chat",
            "input_cost_per_token": 0, "output_cost_per_token": 0},
    }  # fmt: skip
    con = run_pipeline(
        archive_of(tmp_path, ("litellm", LITELLM_URL, body, "2026-07-24T18:00:00+00:00")),
        tmp_path / "w.duckdb",
    )
    cheapest = summary(con, "llama-3.2-11b-vision-instruct")
    assert cheapest["cheapest_input"]["provider_id"] == "aws-bedrock"
    assert cheapest["num_free_offerings"] == 1


# --- C09: a stale price must not overwrite a dated history ----------------------------------
def test_c09_dated_history_survives_an_undated_restatement(run_case):
    con = run_case("C09", as_of=dt.date(2025, 10, 11))

    def as_of(day):
        return {
            r["attribute"]: r["num_value"]
            for r in rows(
                con,
                "select attribute, num_value from core.price_history where model_id = 'o3'"
                " and valid_from <= ? and (valid_to is null or valid_to > ?)",
                [day, day],
            )
        }

    assert as_of(dt.date(2025, 5, 1)) == {
        "price_input": Decimal("10"), "price_cache_read": Decimal("2.5"), "price_output": Decimal("40"),
    }  # fmt: skip
    assert as_of(dt.date(2025, 7, 1)) == {
        "price_input": Decimal("2"), "price_cache_read": Decimal("0.5"), "price_output": Decimal("8"),
    }  # fmt: skip
    # Today's facts keep the dated price; the undated restatement is flagged, not taken.
    prices = offering_prices(con, "o3")
    assert prices[("openai", "price_input")] == Decimal("2")
    assert prices[("openai", "price_output")] == Decimal("8")
    rejected = {
        (r["attribute"], r["reject_reason"])
        for r in rows(
            con,
            "select attribute, reject_reason from core.rejected_observations where model_id = 'o3'",
        )
    }
    assert rejected == {
        ("price_input", "undated_restatement_contradicts_history"),
        ("price_output", "undated_restatement_contradicts_history"),
        ("price_cache_read", "cache_ratio_unlike_dated_history"),
    }
    # Every kept change has its valid-from date and its source.
    history = rows(con, "select valid_from, source from core.price_history where model_id = 'o3'")
    assert all(h["valid_from"] is not None and h["source"] == "llm_prices" for h in history)
