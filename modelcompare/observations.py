"""What a parser produces: one row per thing a source said, as it said it.

Parsers are pure functions ``parse(response: ArchivedResponse) -> ParseResult``. They never
convert units, never resolve identity and never pick between sources: they record the raw value
and its raw unit, and everything else happens in SQL (``sql/``). Keep the attribute vocabulary
below in sync with ``sql/create_tables.sql`` and the README's "Attributes" table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

# --- subjects -------------------------------------------------------------------------------
# A "model" observation is about the model itself (its creator's card says 128k context). An
# "offering" observation is about one model served by one provider (Bedrock charges 0.16).
MODEL = "model"
OFFERING = "offering"

# --- attribute vocabulary -------------------------------------------------------------------
# Prices. Raw units: usd_per_token, usd_per_1k_tokens, usd_per_million_tokens, usd_per_image,
# usd_per_request. A tiered price carries tier_min_tokens and tier_rule.
PRICE_INPUT = "price_input"
PRICE_OUTPUT = "price_output"
PRICE_CACHE_READ = "price_cache_read"
PRICE_CACHE_WRITE = "price_cache_write"
PRICE_BATCH_INPUT = "price_batch_input"
PRICE_BATCH_OUTPUT = "price_batch_output"
PRICE_IMAGE = "price_image"
PRICE_REQUEST = "price_request"
PRICE_ATTRIBUTES = frozenset(
    {
        PRICE_INPUT,
        PRICE_OUTPUT,
        PRICE_CACHE_READ,
        PRICE_CACHE_WRITE,
        PRICE_BATCH_INPUT,
        PRICE_BATCH_OUTPUT,
        PRICE_IMAGE,
        PRICE_REQUEST,
    }
)
# Limits, unit "tokens". Context window, max input and max output are three different facts.
CONTEXT_WINDOW = "context_window"
MAX_INPUT = "max_input_tokens"
MAX_OUTPUT = "max_output_tokens"
# Capabilities, unit "bool", value "true" / "false".
VISION = "vision"
REASONING = "reasoning"
TOOL_CALLING = "tool_calling"
STRUCTURED_OUTPUT = "structured_output"
JSON_MODE = "json_mode"
AUDIO_INPUT = "audio_input"
# Descriptive facts.
NAME = "name"  # unit "text"
RELEASE_DATE = "release_date"  # unit "date", ISO yyyy-mm-dd (or yyyy-mm when only a month is known)
KNOWLEDGE_CUTOFF = "knowledge_cutoff"  # unit "date"
LICENSE = "license"  # unit "text", as written by the source (apache-2.0, llama3.2, MIT)
OPEN_WEIGHTS = "open_weights"  # unit "bool"
BASE_MODEL = "base_model"  # unit "text", the id the source names
PARAMETERS = "parameters"  # unit "params_billion"
DEPRECATION_DATE = "deprecation_date"  # unit "date"
HF_ID = "hugging_face_id"  # unit "text"
LISTED_AT = "listed_at"  # unit "date": when an aggregator first listed the offering (not a release)
CANONICAL_SLUG = "canonical_slug"  # unit "text": a source's own stable id for the model
MODE = "mode"  # unit "text": chat, embedding, image_generation... (LiteLLM "mode")
# Benchmarks: attribute "benchmark", qualifier = "<benchmark name>|<setting>", unit = the metric
# ("percent", "index", "tokens_per_second", "seconds").
BENCHMARK = "benchmark"
# Serving figures from benchmark sources.
OUTPUT_SPEED = "output_speed"  # unit "tokens_per_second"
TIME_TO_FIRST_TOKEN = "time_to_first_token"  # unit "seconds"

TIER_WHOLE_REQUEST = (
    "whole_request"  # the whole request is repriced once input passes the threshold
)
TIER_EXCESS = "excess"  # only the tokens above the threshold are charged the tier price


@dataclass(frozen=True, slots=True)
class Observation:
    """One thing one source said about one subject.

    ``value`` is the raw value as text exactly as the source wrote it (``"0.000000049"``,
    ``"5E-7"``, ``"128_000"`` becomes ``"128000"`` only because TOML itself reads it so), or
    ``None`` when the source explicitly says "unknown" (then ``note`` says why, e.g. "dynamic").
    """

    source: str
    raw_id: str
    attribute: str
    value: str | None
    unit: str | None
    subject: str = OFFERING
    provider: str | None = None  # the provider as the source names it (bedrock, amazon-bedrock)
    region: str | None = None
    variant: str | None = None  # serving variant: "free", "batch", "flex", an upstream route
    quantization: str | None = None  # fp8, int4... as the source writes it
    tier_min_tokens: int | None = None
    tier_rule: str | None = None
    qualifier: str | None = None  # benchmark "name|setting", or another sub-key of the attribute
    valid_from: dt.date | None = None  # only where the source itself dates the value
    valid_to: dt.date | None = None  # exclusive
    as_of: dt.date | None = None  # the source's own "checked on" date (genai-prices prices_checked)
    locator: str = ""  # where in the response: a JSON pointer, a file path, a table row
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """A record the parser could not read, kept so nothing is lost silently."""

    source: str
    locator: str
    reason: str
    raw_id: str | None = None


@dataclass(slots=True)
class ParseResult:
    """Everything a parser got out of one response."""

    observations: list[Observation] = field(default_factory=list)
    issues: list[ParseIssue] = field(default_factory=list)
    num_records: int = 0  # entities (models, table rows) the response held

    def extend(self, other: ParseResult) -> None:
        self.observations.extend(other.observations)
        self.issues.extend(other.issues)
        self.num_records += other.num_records


class SourceLayoutError(ValueError):
    """The response does not have the shape its parser knows (a changed page or API)."""


OBSERVATION_COLUMNS = tuple(f.name for f in dataclasses.fields(Observation))
