"""Every source the pipeline reads: where it lives, how often, and which parser reads it.

Adding a source is one entry here, one parser module under ``modelcompare/parsers/`` and its
recorded responses in the replay archive; the Dagster asset is generated from the entry (see
``assets/ingest.py``). The archive name of a source is ``SourceSpec.name``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import ParseResult

Parser = Callable[[ArchivedResponse], ParseResult]


@dataclass(frozen=True)
class SourceSpec:
    name: str  # archive name and asset name suffix: lower-case, [a-z0-9_]
    title: str  # for people: "OpenRouter models API"
    urls: tuple[str, ...]  # what a live run fetches, one GET each
    parser: str  # "module:function", imported lazily so a broken parser fails only its asset
    kind: str  # json, toml-archive, yaml, markdown, html
    refresh: str = "daily"  # how often a live run should fetch it; drives the freshness policy
    min_records: int = 1  # a response with fewer records is a layout change, not "no models"
    made_fixture: bool = False  # True where no real response was recorded (see README)
    notes: str = ""
    allowed_hosts: tuple[str, ...] = field(default=())

    def load_parser(self) -> Parser:
        module_name, func_name = self.parser.split(":")
        return getattr(importlib.import_module(module_name), func_name)

    @property
    def hosts(self) -> tuple[str, ...]:
        if self.allowed_hosts:
            return self.allowed_hosts
        return tuple(sorted({url.split("/")[2] for url in self.urls}))


_GH_RAW = "https://raw.githubusercontent.com"
GENAI_PRICES_PROVIDERS = (
    "anthropic", "avian", "aws", "azure", "cerebras", "cohere", "deepseek", "doubleword",
    "fireworks", "google", "groq", "huggingface_cerebras", "huggingface_fireworks-ai",
    "huggingface_groq", "huggingface_hyperbolic", "huggingface_nebius", "huggingface_novita",
    "huggingface_nscale", "huggingface_ovhcloud", "huggingface_publicai", "huggingface_sambanova",
    "huggingface_together", "minimax", "mistral", "modal", "moonshotai", "novita", "openai",
    "openrouter", "ovhcloud", "perplexity", "together", "voyageai", "x_ai",
)  # fmt: skip
LLM_PRICES_VENDORS = (
    "amazon", "anthropic", "deepseek", "google", "meta-ai", "minimax", "mistral", "moonshot-ai",
    "openai", "qwen", "xai",
)  # fmt: skip
HF_CARDS = (
    "mistralai/Magistral-Small-2509",
    "mistralai/Magistral-Small-2506",
    "mistralai/Mistral-Small-24B-Instruct-2501",
    "meta-llama/Llama-3.2-11B-Vision-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
)
META_CARDS = (
    "llama3_2/MODEL_CARD_VISION.md",
    "llama3_2/MODEL_CARD.md",
    "llama3_1/MODEL_CARD.md",
    "llama3_3/MODEL_CARD.md",
)
# OpenRouter's per-model endpoints call is made for the models we publish pair files for.
OPENROUTER_ENDPOINT_MODELS = (
    "meta-llama/llama-3.2-11b-vision-instruct",
    "mistralai/magistral-small-2506",
)

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="openrouter",
        title="OpenRouter models API",
        urls=("https://openrouter.ai/api/v1/models",),
        parser="modelcompare.parsers.openrouter:parse_models",
        kind="json",
        min_records=50,
    ),
    SourceSpec(
        name="openrouter_endpoints",
        title="OpenRouter per-model endpoints API",
        urls=tuple(
            f"https://openrouter.ai/api/v1/models/{slug}/endpoints"
            for slug in OPENROUTER_ENDPOINT_MODELS
        ),
        parser="modelcompare.parsers.openrouter:parse_endpoints",
        kind="json",
        made_fixture=True,
        notes="No public recording exists; the bundled responses follow OpenRouter's documented shape.",
    ),
    SourceSpec(
        name="models_dev",
        title="models.dev catalog (repository source archive)",
        urls=("https://github.com/anomalyco/models.dev/archive/refs/heads/dev.tar.gz",),
        parser="modelcompare.parsers.models_dev:parse_archive",
        kind="toml-archive",
        min_records=1000,
        allowed_hosts=("github.com", "codeload.github.com"),
    ),
    SourceSpec(
        name="litellm",
        title="LiteLLM model price and context window map",
        urls=(f"{_GH_RAW}/BerriAI/litellm/main/model_prices_and_context_window.json",),
        parser="modelcompare.parsers.litellm:parse_price_map",
        kind="json",
        min_records=500,
    ),
    SourceSpec(
        name="genai_prices",
        title="pydantic genai-prices provider YAMLs",
        urls=tuple(
            f"{_GH_RAW}/pydantic/genai-prices/main/prices/providers/{p}.yml"
            for p in GENAI_PRICES_PROVIDERS
        ),
        parser="modelcompare.parsers.genai_prices:parse_provider_yaml",
        kind="yaml",
    ),
    SourceSpec(
        name="genai_prices_legacy",
        title="pydantic genai-prices legacy data.json (frozen upstream; cross-check only)",
        urls=(f"{_GH_RAW}/pydantic/genai-prices/main/prices/data.json",),
        parser="modelcompare.parsers.genai_prices_legacy:parse_data_json",
        kind="json",
        refresh="weekly",
        min_records=100,
        notes="Frozen upstream; lower precedence than the maintained YAMLs.",
    ),
    SourceSpec(
        name="llm_prices",
        title="simonw/llm-prices dated price histories",
        urls=tuple(f"{_GH_RAW}/simonw/llm-prices/main/data/{v}.json" for v in LLM_PRICES_VENDORS),
        parser="modelcompare.parsers.llm_prices:parse_vendor",
        kind="json",
    ),
    SourceSpec(
        name="hf_cards",
        title="Hugging Face model cards",
        urls=tuple(f"https://huggingface.co/{repo}/raw/main/README.md" for repo in HF_CARDS),
        parser="modelcompare.parsers.model_cards:parse_hf_card",
        kind="markdown",
        refresh="weekly",
    ),
    SourceSpec(
        name="meta_cards",
        title="Meta's model cards on GitHub",
        urls=tuple(f"{_GH_RAW}/meta-llama/llama-models/main/models/{path}" for path in META_CARDS),
        parser="modelcompare.parsers.model_cards:parse_meta_card",
        kind="markdown",
        refresh="weekly",
    ),
    SourceSpec(
        name="aa_benchmarks",
        title="Artificial Analysis indices (public copy)",
        urls=(f"{_GH_RAW}/Prajwalsrinvas/token-tariff/main/aa_models.json",),
        parser="modelcompare.parsers.aa_benchmarks:parse_aa_models",
        kind="json",
        refresh="weekly",
        min_records=100,
    ),
)

# Provider pricing pages. No raw HTML of these pages was ever recorded, so the bundled responses
# are fixtures made by this project from each page's known figures (see README).
PRICING_PAGES = (
    ("page_aws_bedrock", "AWS Bedrock pricing page", "https://aws.amazon.com/bedrock/pricing/"),
    ("page_mistral", "Mistral pricing page", "https://mistral.ai/pricing"),
    ("page_together", "Together AI pricing page", "https://www.together.ai/pricing"),
    ("page_groq", "Groq pricing page", "https://groq.com/pricing"),
    ("page_deepinfra", "DeepInfra pricing page", "https://deepinfra.com/pricing"),
    ("page_openai", "OpenAI pricing page", "https://platform.openai.com/docs/pricing"),
)
SOURCES = SOURCES + tuple(
    SourceSpec(
        name=name,
        title=title,
        urls=(url,),
        parser="modelcompare.parsers.pricing_pages:parse_pricing_page",
        kind="html",
        made_fixture=True,
        notes="Parser verified on made fixtures only until a live page is recorded.",
    )
    for name, title, url in PRICING_PAGES
)


def source(name: str) -> SourceSpec:
    for spec in SOURCES:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown source {name!r}; known: {', '.join(s.name for s in SOURCES)}")
