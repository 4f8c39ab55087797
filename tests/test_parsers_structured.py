"""Parsers of the structured sources, on the bundled recorded responses and on the case inputs.

Covers OpenRouter (models list and endpoints), models.dev, LiteLLM, genai-prices, llm-prices and
Artificial Analysis: real figures from the replay archive, the cases under tests/cases that
concern these sources (C01, C02, C05, C06, C08, C09), and what happens to a response that is not
what the parser knows (a layout error naming the source) or holds one bad record (a parse issue,
the rest parsed).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import tarfile
from pathlib import Path

import pytest
import yaml

from modelcompare.archive import Archive, ArchivedResponse
from modelcompare.observations import (
    BASE_MODEL,
    BENCHMARK,
    CONTEXT_WINDOW,
    JSON_MODE,
    KNOWLEDGE_CUTOFF,
    LICENSE,
    LISTED_AT,
    MAX_INPUT,
    MAX_OUTPUT,
    MODE,
    MODEL,
    NAME,
    OFFERING,
    OUTPUT_SPEED,
    PRICE_ATTRIBUTES,
    PRICE_BATCH_INPUT,
    PRICE_CACHE_READ,
    PRICE_CACHE_WRITE,
    PRICE_IMAGE,
    PRICE_INPUT,
    PRICE_OUTPUT,
    REASONING,
    RELEASE_DATE,
    STRUCTURED_OUTPUT,
    TIER_WHOLE_REQUEST,
    TIME_TO_FIRST_TOKEN,
    TOOL_CALLING,
    VISION,
    Observation,
    ParseResult,
    SourceLayoutError,
)
from modelcompare.parsers._common import MATCH_RULE
from modelcompare.parsers.aa_benchmarks import parse_aa_models
from modelcompare.parsers.genai_prices import parse_provider_yaml
from modelcompare.parsers.litellm import parse_price_map
from modelcompare.parsers.llm_prices import parse_vendor
from modelcompare.parsers.models_dev import parse_archive
from modelcompare.parsers.openrouter import parse_endpoints, parse_models
from tests.conftest import REPLAY_DIR, load_recorded

LLAMA = "meta-llama/llama-3.2-11b-vision-instruct"
MAGISTRAL_2506 = "mistralai/magistral-small-2506"
MODELS_DEV_URL = "https://github.com/anomalyco/models.dev/archive/refs/heads/dev.tar.gz"


def find(result: ParseResult, raw_id: str, attribute: str, **where) -> list[Observation]:
    return [
        o
        for o in result.observations
        if o.raw_id == raw_id
        and o.attribute == attribute
        and all(getattr(o, k) == v for k, v in where.items())
    ]


def one(result: ParseResult, raw_id: str, attribute: str, **where) -> Observation:
    found = find(result, raw_id, attribute, **where)
    assert len(found) == 1, f"{raw_id} {attribute} {where}: {found}"
    return found[0]


# --- parsed bundled responses (parsed once per module) ---------------------------------------------
@pytest.fixture(scope="module")
def openrouter_dec() -> ParseResult:
    return parse_models(load_recorded("openrouter", fetch_date="2025-12-02"))


@pytest.fixture(scope="module")
def openrouter_may() -> ParseResult:
    return parse_models(load_recorded("openrouter", fetch_date="2026-05-15"))


@pytest.fixture(scope="module")
def models_dev() -> ParseResult:
    return parse_archive(load_recorded("models_dev"))


@pytest.fixture(scope="module")
def litellm() -> ParseResult:
    return parse_price_map(load_recorded("litellm"))


# --- OpenRouter -------------------------------------------------------------------------------------
def test_openrouter_llama_december(openrouter_dec):
    # Prices per token as OpenRouter wrote them; limits split between model and offering (C05).
    assert openrouter_dec.num_records == 335
    price = one(openrouter_dec, LLAMA, PRICE_INPUT)
    assert (price.value, price.unit, price.provider, price.subject) == (
        "0.000000049",
        "usd_per_token",
        "openrouter",
        OFFERING,
    )
    assert one(openrouter_dec, LLAMA, PRICE_IMAGE).value == "0.00007948"
    assert one(openrouter_dec, LLAMA, CONTEXT_WINDOW, subject=MODEL).value == "131072"
    assert one(openrouter_dec, LLAMA, MAX_OUTPUT, subject=OFFERING).value == "16384"
    assert one(openrouter_dec, LLAMA, VISION, subject=MODEL).value == "true"
    assert one(openrouter_dec, LLAMA, TOOL_CALLING).value == "false"
    assert one(openrouter_dec, LLAMA, JSON_MODE).value == "true"
    assert one(openrouter_dec, LLAMA, STRUCTURED_OUTPUT).value == "false"


def test_openrouter_created_is_listing_not_release(openrouter_dec):
    listed = one(openrouter_dec, LLAMA, LISTED_AT)
    assert (listed.value, listed.note) == ("2024-09-25", "created=1727222400")
    assert not [o for o in openrouter_dec.observations if o.attribute == RELEASE_DATE]


def test_openrouter_magistral_2506(openrouter_dec):
    assert one(openrouter_dec, MAGISTRAL_2506, CONTEXT_WINDOW, subject=MODEL).value == "40000"
    assert one(openrouter_dec, MAGISTRAL_2506, PRICE_OUTPUT).value == "0.0000015"
    assert one(openrouter_dec, MAGISTRAL_2506, VISION).value == "false"
    for capability in (TOOL_CALLING, STRUCTURED_OUTPUT, REASONING):
        assert one(openrouter_dec, MAGISTRAL_2506, capability).value == "true"


def test_openrouter_router_and_free_variants(openrouter_dec):
    auto = one(openrouter_dec, "openrouter/auto", PRICE_INPUT)
    assert (auto.value, auto.note) == (None, "dynamic")
    assert one(openrouter_dec, "openrouter/auto", MODE).value == "router"
    free = one(openrouter_dec, "x-ai/grok-4.1-fast:free", PRICE_INPUT)
    assert (free.value, free.variant) == ("0", "free")
    prices = [o.value for o in openrouter_dec.observations if o.attribute in PRICE_ATTRIBUTES]
    assert not [v for v in prices if v is not None and v.startswith("-")]


def test_openrouter_may_snapshot(openrouter_may):
    assert openrouter_may.num_records == 364
    assert one(openrouter_may, LLAMA, PRICE_INPUT).value == "0.000000245"
    assert one(openrouter_may, LLAMA, KNOWLEDGE_CUTOFF).value == "2023-12-31"
    assert not find(openrouter_may, MAGISTRAL_2506, NAME)  # no longer listed in May 2026
    assert not openrouter_may.issues


def test_openrouter_nightly_series_is_bundled():
    archive = Archive(REPLAY_DIR)
    metas = [
        r for d in archive.fetch_dates("openrouter") for r in archive.responses("openrouter", d)
    ]
    nights = [r for r in metas if "gptel-openrouter-models" in (r.note or "")]
    assert (len(metas), len(nights)) == (63, 61)
    assert all(r.fetched_at_approximate for r in metas)
    night = load_recorded("openrouter", fetch_date="2026-03-15")
    assert b'"description"' not in night.body
    assert parse_models(night).num_records == 344


def test_openrouter_endpoints_made_fixture():
    llama = load_recorded("openrouter_endpoints", "llama-3.2-11b")
    assert "made fixture" in llama.note and llama.fetch_date == "2026-05-15"
    result = parse_endpoints(llama)
    price = one(result, LLAMA, PRICE_INPUT)
    assert (price.value, price.variant, price.provider, price.quantization) == (
        "0.000000049",
        "deepinfra",
        "openrouter",
        None,
    )
    assert one(result, LLAMA, CONTEXT_WINDOW, variant="deepinfra").value == "131072"
    magistral = parse_endpoints(load_recorded("openrouter_endpoints", "magistral-small-2506"))
    assert one(magistral, MAGISTRAL_2506, MAX_OUTPUT, variant="mistral").value == "40000"
    assert one(magistral, MAGISTRAL_2506, TOOL_CALLING, variant="mistral").value == "true"


# --- models.dev -------------------------------------------------------------------------------------
def test_models_dev_bedrock_magistral(models_dev):
    rid, where = "mistral.magistral-small-2509", {"provider": "amazon-bedrock", "subject": OFFERING}
    price = one(models_dev, rid, PRICE_INPUT, **where)
    assert (price.value, price.unit) == ("0.50", "usd_per_million_tokens")
    assert price.locator.endswith(
        "providers/amazon-bedrock/models/mistral.magistral-small-2509.toml#cost.input"
    )
    assert one(models_dev, rid, CONTEXT_WINDOW, **where).value == "128000"
    assert one(models_dev, rid, MAX_OUTPUT, **where).value == "40000"
    assert not find(models_dev, rid, MAX_INPUT)
    # attachment = false in this file, yet image input: vision comes from modalities only.
    assert one(models_dev, rid, VISION, **where).value == "true"


def test_models_dev_mistral_magistral_is_text_only(models_dev):
    assert one(models_dev, "magistral-small", VISION, provider="mistral").value == "false"
    assert (
        one(models_dev, "magistral-small", RELEASE_DATE, provider="mistral").value == "2025-03-17"
    )
    assert (
        one(models_dev, "magistral-small", KNOWLEDGE_CUTOFF, provider="mistral").value == "2025-06"
    )


def test_models_dev_base_model_inheritance(models_dev):
    rid, where = "openai.gpt-5.4", {"provider": "amazon-bedrock"}
    assert one(models_dev, rid, BASE_MODEL, **where).value == "openai/gpt-5.4"
    assert one(models_dev, rid, CONTEXT_WINDOW, **where).value == "272000"  # its own key wins
    assert not find(models_dev, rid, MAX_INPUT, **where)  # base_model_omit = ["limit.input", ...]
    name = one(models_dev, rid, NAME, **where)
    assert name.value == "GPT-5.4" and name.locator.endswith("models/openai/gpt-5.4.toml#name")
    assert not find(models_dev, rid, BENCHMARK, **where)  # model facts stay on the base file
    base = {"subject": MODEL, "provider": None}
    assert one(models_dev, "openai/gpt-5.4", CONTEXT_WINDOW, **base).value == "1050000"
    assert one(models_dev, "openai/gpt-5.4", MAX_INPUT, **base).value == "922000"


def test_models_dev_benchmarks_license_and_counts(models_dev):
    assert models_dev.num_records == 5276 + 2 + 231
    assert not models_dev.issues
    bench = one(
        models_dev,
        "stepfun/step-3.5-flash-2603",
        BENCHMARK,
        qualifier="Artificial Analysis Coding Index|",
    )
    assert (bench.value, bench.unit, bench.as_of) == ("34.6", "index", dt.date(2026, 6, 2))
    assert one(models_dev, "deepreinforce/ornith-1.0-9b", LICENSE).value == "MIT"
    # A file without an extension is still TOML; upstream also has a .toml twin of this one.
    twins = find(models_dev, "qwen/qwen3-coder-next", CONTEXT_WINDOW, provider="openrouter")
    assert sorted((o.locator.rsplit("/", 1)[-1], o.value) for o in twins) == [
        ("qwen3-coder-next#limit.context", "262144"),
        ("qwen3-coder-next.toml#limit.context", "262144"),
    ]


def test_models_dev_tiers_and_exact_text(models_dev):
    tier = one(
        models_dev, "gpt-5.4", PRICE_INPUT, provider="github-copilot", tier_min_tokens=272000
    )
    assert (tier.value, tier.tier_rule) == ("5", TIER_WHOLE_REQUEST)
    untyped = one(models_dev, "gpt-5.4", PRICE_OUTPUT, provider="302ai", tier_min_tokens=272000)
    assert (untyped.value, untyped.tier_rule, untyped.note) == (
        "22.500",
        None,
        "tier type not stated",
    )
    base = one(models_dev, "gpt-5.4", PRICE_INPUT, provider="302ai", tier_min_tokens=None)
    assert base.value == "2.500"  # TOML text kept, not 2.5
    fast = one(
        models_dev, "claude-opus-4.7", PRICE_INPUT, provider="github-copilot", variant="fast"
    )
    assert fast.value == "30"


# --- LiteLLM ----------------------------------------------------------------------------------------
def test_litellm_limits_are_not_context(litellm):
    rid = "mistral/magistral-small-1-2-2509"
    assert one(litellm, rid, MAX_INPUT).value == "40000"
    assert one(litellm, rid, MAX_OUTPUT).value == "40000"
    assert one(litellm, rid, PRICE_INPUT).value == "5E-7"
    assert not [o for o in litellm.observations if o.attribute == CONTEXT_WINDOW]


def test_litellm_bedrock_llama_and_tiers(litellm):
    price = one(litellm, "meta.llama3-2-11b-instruct-v1:0", PRICE_INPUT)
    assert (price.value, price.unit, price.provider) == ("3.5E-7", "usd_per_token", "bedrock")
    assert one(litellm, "meta.llama3-2-11b-instruct-v1:0", VISION).value == "true"
    tier = one(litellm, "gemini-2.5-pro", PRICE_INPUT, tier_min_tokens=200000)
    assert (tier.value, tier.tier_rule) == ("0.0000025", TIER_WHOLE_REQUEST)
    assert one(litellm, "gpt-4o", PRICE_BATCH_INPUT).value == "0.00000125"
    assert one(litellm, "gpt-4o", PRICE_INPUT, variant="priority").value == "0.00000425"
    assert not find(litellm, "sample_spec", PRICE_INPUT)
    assert litellm.num_records == 2983 and not litellm.issues


def test_litellm_fetch_time_is_the_mirror_stamp():
    response = load_recorded("litellm")
    assert response.fetched_at == dt.datetime(2026, 7, 24, 18, 23, 43, 215560, tzinfo=dt.UTC)
    assert not response.fetched_at_approximate
    assert b"last_updated" not in response.body


# --- genai-prices, llm-prices, Artificial Analysis --------------------------------------------------
def test_genai_prices_aws_magistral():
    result = parse_provider_yaml(load_recorded("genai_prices", "/aws.yml"))
    rid = "mistral.magistral-small-2509"
    price = one(result, rid, PRICE_INPUT)
    assert (price.value, price.provider, price.as_of) == ("0.5", "aws", dt.date(2026, 6, 3))
    assert one(result, rid, PRICE_OUTPUT).value == "1.5"
    assert one(result, rid, MATCH_RULE).value == '{"contains":"mistral.magistral-small-2509"}'
    assert one(result, "meta.llama3-2-11b-instruct-v1:0", PRICE_INPUT).value == "0.16"


def test_genai_prices_dated_tiers():
    result = parse_provider_yaml(load_recorded("genai_prices", "/anthropic.yml"))
    rid = "claude-opus-4-6"
    tier = one(result, rid, PRICE_INPUT, tier_min_tokens=200000)
    assert (tier.value, tier.tier_rule, tier.valid_from, tier.valid_to) == (
        "10",
        TIER_WHOLE_REQUEST,
        None,
        dt.date(2026, 3, 13),
    )
    flat = one(result, rid, PRICE_INPUT, valid_from=dt.date(2026, 3, 13))
    assert (flat.value, flat.valid_to, flat.tier_min_tokens) == ("5", None, None)
    assert (
        one(result, rid, PRICE_CACHE_WRITE, qualifier="1h", valid_from=dt.date(2026, 3, 13)).value
        == "10"
    )


def test_genai_prices_keeps_number_text_and_time_windows():
    result = parse_provider_yaml(load_recorded("genai_prices", "/deepseek.yml"))
    assert one(result, "deepseek-chat", PRICE_OUTPUT, variant=None).value == "0.550"
    window = one(result, "deepseek-chat", PRICE_INPUT, variant="time_of_day 00:30:00Z-16:30:00Z")
    assert window.value == "0.27"
    assert one(result, "deepseek-chat", CONTEXT_WINDOW).value == "64000"


def test_llm_prices_history():
    result = parse_vendor(load_recorded("llm_prices", "/openai.json"))
    # The bundled copy holds o3's stale undated price (see C09): recorded as it is, undated.
    o3 = one(result, "o3", PRICE_INPUT)
    assert (o3.value, o3.valid_from, o3.valid_to, o3.provider) == ("10", None, None, "openai")
    assert one(result, "o3", PRICE_CACHE_READ).value == "0.5"
    old = one(result, "gpt-5.6-luna", PRICE_INPUT, valid_to=dt.date(2026, 7, 30))
    new = one(result, "gpt-5.6-luna", PRICE_INPUT, valid_from=dt.date(2026, 7, 30))
    assert (old.value, old.valid_from, new.value, new.valid_to) == ("1.0", None, "0.2", None)


def test_aa_benchmarks():
    response = load_recorded("aa_benchmarks")
    assert "Artificial Analysis" in response.note
    result = parse_aa_models(response)
    intelligence = one(
        result,
        "magistral-small-2509",
        BENCHMARK,
        qualifier="Artificial Analysis Intelligence Index|",
    )
    assert (intelligence.value, intelligence.unit, intelligence.subject) == ("11.3", "index", MODEL)
    assert one(result, "magistral-small-2509", OUTPUT_SPEED).value == "82.682"
    llama = "llama-3-2-instruct-11b-vision"
    assert (
        one(result, llama, BENCHMARK, qualifier="Artificial Analysis Intelligence Index|").value
        == "3.3"
    )
    assert not find(result, llama, BENCHMARK, qualifier="Artificial Analysis Coding Index|")  # null
    unmeasured = one(result, "grok-1", TIME_TO_FIRST_TOKEN)
    assert (unmeasured.value, unmeasured.note) == (None, "0 in source: not measured")
    assert result.num_records == 542


# --- cases ------------------------------------------------------------------------------------------
CASES = Path(__file__).parent / "cases"
CASE_SOURCES = {"models.dev": "models_dev", "llm-prices": "llm_prices"}
CASE_PARSERS = {
    "openrouter": parse_models,
    "litellm": parse_price_map,
    "models_dev": parse_archive,
    "llm_prices": parse_vendor,
}


def case_results(case_id: str) -> list[ParseResult]:
    """Each response of a case, parsed as if fetched from its URL."""
    case = yaml.safe_load(next(CASES.glob(f"{case_id}-*.yaml")).read_text())
    results = []
    for spec in case["responses"]:
        source = CASE_SOURCES.get(spec["source"], spec["source"])
        fetched_at = dt.datetime.fromisoformat(spec.get("fetched_at", "2026-01-01T00:00:00Z"))
        body = spec["body"].encode()
        response = ArchivedResponse.from_bytes(source, spec["url"], body, fetched_at)
        results.append(CASE_PARSERS[source](response))
    return results


def test_case_c01_raw_values_kept():
    # Flagging 0.015 per token as implausible is the facts layer's job; the parser keeps it.
    [result] = case_results("C01")
    assert one(result, "wandb/openai/gpt-oss-120b", PRICE_INPUT).value == "0.015"
    assert one(result, "groq/openai/gpt-oss-120b", PRICE_OUTPUT).value == "7.5E-7"
    assert one(result, "deepinfra/openai/gpt-oss-120b", PRICE_INPUT).value == "9E-8"


def test_case_c02_single_toml_file():
    [result] = case_results("C02")
    price = one(result, "openai/gpt-5.4-mini", PRICE_INPUT, provider="openrouter")
    # Kept as the source's number (str of its Decimal); the implausibility flag comes later.
    assert (price.value, price.unit) == ("7.5E-7", "usd_per_million_tokens")
    assert one(result, "openai/gpt-5.4-mini", CONTEXT_WINDOW).value == "400000"
    assert one(result, "openai/gpt-5.4-mini", VISION).value == "true"


def test_case_c05_endpoint_limits_are_offering_facts():
    [result] = case_results("C05")
    rid = "xiaomi/mimo-v2.5"
    assert one(result, rid, CONTEXT_WINDOW, subject=MODEL).value == "1048576"
    assert one(result, rid, CONTEXT_WINDOW, subject=OFFERING).value == "32000"
    assert one(result, rid, MAX_OUTPUT, subject=OFFERING).value == "8192"
    assert not find(result, rid, MAX_OUTPUT, subject=MODEL)
    assert one(result, rid, PRICE_INPUT).value == "0.0000004"


def test_case_c06_three_separate_limits():
    litellm_result, gpt5, chat_latest = case_results("C06")
    assert one(litellm_result, "gpt-5", MAX_INPUT).value == "272000"
    assert one(litellm_result, "gpt-5-chat-latest", MAX_INPUT).value == "128000"
    assert not find(litellm_result, "gpt-5", CONTEXT_WINDOW)
    assert one(litellm_result, "gpt-5", PRICE_CACHE_READ).value == "1.25E-7"
    limits = {a: one(gpt5, "gpt-5", a).value for a in (CONTEXT_WINDOW, MAX_INPUT, MAX_OUTPUT)}
    assert limits == {CONTEXT_WINDOW: "400000", MAX_INPUT: "272000", MAX_OUTPUT: "128000"}
    assert one(chat_latest, "gpt-5-chat-latest", MAX_OUTPUT).value == "16384"
    assert not find(chat_latest, "gpt-5-chat-latest", MAX_INPUT)


def test_case_c08_sentinel_and_free():
    [result] = case_results("C08")
    auto = find(result, "openrouter/auto", PRICE_INPUT) + find(
        result, "openrouter/auto", PRICE_OUTPUT
    )
    assert [(o.value, o.note) for o in auto] == [(None, "dynamic"), (None, "dynamic")]
    assert one(result, "openrouter/auto", MODE).value == "router"
    free = one(result, "mistralai/mistral-small-3.2-24b-instruct:free", PRICE_INPUT)
    assert (free.value, free.variant) == ("0", "free")
    paid = one(result, "mistralai/mistral-small-3.2-24b-instruct", PRICE_INPUT)
    assert (paid.value, paid.variant) == ("0.00000006", None)


def test_case_c09_dated_history_then_undated_row():
    dated, undated = case_results("C09")
    rows = sorted(find(dated, "o3", PRICE_INPUT), key=lambda o: o.valid_from)
    assert [(o.value, o.valid_from, o.valid_to) for o in rows] == [
        ("10", dt.date(2025, 4, 16), dt.date(2025, 6, 10)),
        ("2", dt.date(2025, 6, 10), None),
    ]
    stale = one(undated, "o3", PRICE_INPUT)
    assert (stale.value, stale.valid_from, stale.valid_to) == ("10", None, None)


# --- responses the parsers do not know ----------------------------------------------------------------
def _tar_gz(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


OR_URL = "https://openrouter.ai/api/v1/models"
LAYOUT_FAULTS = [
    (parse_models, "openrouter", OR_URL, b"<html>Too Many Requests</html>", "not JSON"),
    (parse_models, "openrouter", OR_URL, b'{"models": []}', "'data'"),
    (parse_models, "openrouter", OR_URL, b'{"data": []}', "empty"),
    (parse_models, "openrouter", OR_URL, b"", "empty"),
    (
        parse_endpoints,
        "openrouter_endpoints",
        OR_URL,
        b'{"data": {"id": "a/b", "endpoints": []}}',
        "empty",
    ),
    (parse_price_map, "litellm", "https://x/prices.json", b"[1, 2]", "object"),
    (
        parse_price_map,
        "litellm",
        "https://x/prices.json",
        b'{"sample_spec": {}}',
        "no model entries",
    ),
    (parse_archive, "models_dev", MODELS_DEV_URL, b"<html>404</html>", "neither"),
    (parse_archive, "models_dev", MODELS_DEV_URL, gzip.compress(b"plain text"), "tar"),
    (parse_archive, "models_dev", MODELS_DEV_URL, _tar_gz({"x/README.md": b"hi"}), "no providers"),
    (parse_provider_yaml, "genai_prices", "https://x/aws.yml", b"models: [unclosed", "not YAML"),
    (
        parse_provider_yaml,
        "genai_prices",
        "https://x/aws.yml",
        b"- a\n- list\n",
        "provider mapping",
    ),
    (parse_vendor, "llm_prices", "https://x/openai.json", b'{"vendor": "openai"}', "'models'"),
    (parse_aa_models, "aa_benchmarks", "https://x/aa.json", b"[]", "object"),
]


@pytest.mark.parametrize(("parse", "source", "url", "body", "message"), LAYOUT_FAULTS)
def test_wrong_layout_raises_naming_the_source(parse, source, url, body, message):
    response = ArchivedResponse.from_bytes(
        source, url, body, dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    with pytest.raises(SourceLayoutError, match=message) as raised:
        parse(response)
    assert str(raised.value).startswith(f"{source}:")


def _response(source: str, url: str, body: bytes) -> ArchivedResponse:
    return ArchivedResponse.from_bytes(source, url, body, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_openrouter_bad_records_become_issues():
    body = b"""{"data": [
      {"id": "a/good", "context_length": 8192, "pricing": {"prompt": "0.000001", "completion": "0.000002"}},
      "not a model",
      {"id": "a/broken-pricing", "pricing": [1, 2], "context_length": 4096},
      {"id": "a/bad-number", "pricing": {"prompt": "abc", "completion": "0.000003"}}
    ]}"""
    result = parse_models(_response("openrouter", OR_URL, body))
    assert result.num_records == 4
    assert one(result, "a/good", CONTEXT_WINDOW).value == "8192"
    assert not [o for o in result.observations if o.raw_id == "a/broken-pricing"]
    assert one(result, "a/bad-number", PRICE_OUTPUT).value == "0.000003"
    assert not find(result, "a/bad-number", PRICE_INPUT)
    reasons = {(i.locator, i.raw_id) for i in result.issues}
    assert reasons == {
        ("/data/1", None),
        ("/data/2", "a/broken-pricing"),
        ("/data/3/pricing/prompt", "a/bad-number"),
    }


def test_litellm_and_aa_bad_entries_become_issues():
    body = b'{"x/ok": {"litellm_provider": "x", "input_cost_per_token": 1e-06}, "x/bad": "oops", "x/neg": {"max_input_tokens": -5}}'
    result = parse_price_map(_response("litellm", "https://x/p.json", body))
    assert one(result, "x/ok", PRICE_INPUT).value == "0.000001"
    assert [i.raw_id for i in result.issues] == ["x/bad", "x/neg"]
    aa = parse_aa_models(
        _response("aa_benchmarks", "https://x/aa.json", b'{"m": {"intelligence": 5.5}, "n": 3}')
    )
    assert one(aa, "m", BENCHMARK).value == "5.5" and [i.raw_id for i in aa.issues] == ["n"]


def test_models_dev_broken_file_and_missing_base():
    tarball = _tar_gz(
        {
            "models.dev-dev/providers/p/models/good.toml": b"name = 'Good'\n[limit]\ncontext = 128_000\n",
            "models.dev-dev/providers/p/models/broken.toml": b"name = \n",
            "models.dev-dev/providers/p/models/orphan.toml": b"base_model = 'lab/gone'\n[cost]\ninput = 1.0\n",
        }
    )
    result = parse_archive(_response("models_dev", MODELS_DEV_URL, tarball))
    assert one(result, "good", CONTEXT_WINDOW, provider="p").value == "128000"
    assert one(result, "orphan", PRICE_INPUT).value == "1.0"
    assert one(result, "orphan", BASE_MODEL).value == "lab/gone"
    assert sorted(i.raw_id for i in result.issues) == ["broken", "orphan"]


def test_llm_prices_and_genai_prices_bad_rows_become_issues():
    body = b"""{"vendor": "v", "models": [{"id": "m", "price_history": [
        {"input": 1, "output": 2, "from_date": "not a date", "to_date": null},
        {"input": 3, "output": 4, "from_date": "2025-01-01", "to_date": null}]}]}"""
    result = parse_vendor(_response("llm_prices", "https://x/v.json", body))
    assert [o.value for o in find(result, "m", PRICE_INPUT)] == ["3"]
    assert [i.locator for i in result.issues] == ["/models/0/price_history/0"]
    yml = b"id: p\nmodels:\n  - name: no id\n  - id: ok\n    match: {equals: ok}\n    prices: {input_mtok: 0.25}\n"
    genai = parse_provider_yaml(_response("genai_prices", "https://x/p.yml", yml))
    assert one(genai, "ok", PRICE_INPUT).value == "0.25"
    assert [i.locator for i in genai.issues] == ["/models/0"]
