"""LiteLLM's ``model_prices_and_context_window.json``: one offering per key.

Every entry is one model at one LiteLLM provider (``litellm_provider``), so all facts here are
offering facts. Limits need care (case C06): ``max_input_tokens`` is recorded as max input only
and never as the context window, because LiteLLM fills it inconsistently (context minus output
for some entries, the whole context for others); ``max_output_tokens`` is max output; the legacy
``max_tokens`` is ignored, as LiteLLM's own ``sample_spec`` says it is. Prices are USD per token
as LiteLLM writes them (``3.5e-07``), with the suffixes LiteLLM uses for long-context tiers
(``_above_200k_tokens``), service tiers (``_flex``, ``_priority``) and batches (``_batches``).
"""

from __future__ import annotations

import re
from typing import Any

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    AUDIO_INPUT,
    DEPRECATION_DATE,
    MAX_INPUT,
    MAX_OUTPUT,
    MODE,
    PRICE_BATCH_INPUT,
    PRICE_BATCH_OUTPUT,
    PRICE_CACHE_READ,
    PRICE_CACHE_WRITE,
    PRICE_IMAGE,
    PRICE_INPUT,
    PRICE_OUTPUT,
    PRICE_REQUEST,
    REASONING,
    STRUCTURED_OUTPUT,
    TIER_WHOLE_REQUEST,
    TOOL_CALLING,
    VISION,
    ParseResult,
)
from modelcompare.parsers._common import (
    Recorder,
    load_json,
    one_record,
    pointer,
    require,
    short_repr,
    storable,
)

SOURCE = "litellm"
SPEC_KEY = "sample_spec"  # LiteLLM's documentation of the format, not a model

# base field -> (attribute, raw unit, qualifier)
PRICE_FIELDS = {
    "input_cost_per_token": (PRICE_INPUT, "usd_per_token", None),
    "output_cost_per_token": (PRICE_OUTPUT, "usd_per_token", None),
    "input_cost_per_1k_tokens": (PRICE_INPUT, "usd_per_1k_tokens", None),
    "output_cost_per_1k_tokens": (PRICE_OUTPUT, "usd_per_1k_tokens", None),
    "cache_read_input_token_cost": (PRICE_CACHE_READ, "usd_per_token", None),
    "cache_creation_input_token_cost": (PRICE_CACHE_WRITE, "usd_per_token", None),
    "cache_creation_input_token_cost_above_1hr": (PRICE_CACHE_WRITE, "usd_per_token", "1h"),
    "input_cost_per_token_batches": (PRICE_BATCH_INPUT, "usd_per_token", None),
    "output_cost_per_token_batches": (PRICE_BATCH_OUTPUT, "usd_per_token", None),
    "input_cost_per_image": (PRICE_IMAGE, "usd_per_image", None),
    "output_cost_per_image": (PRICE_IMAGE, "usd_per_image", "output"),
    "input_cost_per_request": (PRICE_REQUEST, "usd_per_request", None),
}
# A price key is <base>[_above_<n>k_tokens][_<service tier>].
_PRICE_KEY = re.compile(
    r"^(?P<base>.+?)(?:_above_(?P<k>\d+)k_tokens)?(?:_(?P<tier>flex|priority))?$"
)
CAPABILITY_FIELDS = {
    "supports_vision": VISION,
    "supports_function_calling": TOOL_CALLING,
    "supports_reasoning": REASONING,
    "supports_response_schema": STRUCTURED_OUTPUT,
    "supports_audio_input": AUDIO_INPUT,
}
LIMIT_FIELDS = {"max_input_tokens": MAX_INPUT, "max_output_tokens": MAX_OUTPUT}
TOKEN_TIER_FIELDS = ("input_cost_per_token", "output_cost_per_token")


def parse_price_map(response: ArchivedResponse) -> ParseResult:
    """The whole map; ``sample_spec`` is skipped, any other non-object value is an issue."""
    body = load_json(response, SOURCE)
    require(
        isinstance(body, dict),
        SOURCE,
        f"expected an object of model entries, got {type(body).__name__}",
    )
    keys = [key for key in body if key != SPEC_KEY]
    require(len(keys) > 0, SOURCE, "no model entries")
    result = ParseResult(num_records=len(keys))
    for key in keys:
        with one_record(result, SOURCE, pointer(key), key):
            _parse_entry(result, key, body[key])
    return storable(result)


def _parse_entry(result: ParseResult, key: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        raise TypeError(f"entry is {type(entry).__name__}, not an object")
    provider = entry.get("litellm_provider")
    if provider is not None and not isinstance(provider, str):
        raise TypeError(f"litellm_provider is not text: {short_repr(provider)}")
    offer = Recorder(result, SOURCE, key, pointer(key), {"provider": provider})
    for field, value in entry.items():
        at = pointer(field)
        if field in LIMIT_FIELDS:
            offer.number(LIMIT_FIELDS[field], value, "tokens", at)
        elif field in CAPABILITY_FIELDS:
            offer.flag(CAPABILITY_FIELDS[field], value, at)
        elif field == "mode":
            offer.text(MODE, value, at)
        elif field == "deprecation_date":
            offer.date(DEPRECATION_DATE, value, at)
        elif field == "tiered_pricing":
            _tiered_pricing(offer, value)
        else:
            _price(offer, field, value)


def _price(offer: Recorder, field: str, value: Any) -> None:
    """One price field, if ``field`` is one; anything else LiteLLM states is not recorded."""
    match = _PRICE_KEY.match(field)
    spec = PRICE_FIELDS.get(match["base"]) if match else None
    if spec is None:
        return
    attribute, unit, qualifier = spec
    tier = int(match["k"]) * 1000 if match["k"] else None
    # LiteLLM's cost code (_get_token_base_cost in litellm_core_utils/llm_cost_calc/utils.py)
    # uses the *_above_<n>k_tokens rate "for all token types" once the prompt passes <n>k tokens:
    # the whole request is repriced, not only the tokens above the threshold.
    rule = TIER_WHOLE_REQUEST if tier else None
    offer.number(
        attribute,
        value,
        unit,
        pointer(field),
        qualifier=qualifier,
        variant=match["tier"],
        tier_min_tokens=tier,
        tier_rule=rule,
    )


def _tiered_pricing(offer: Recorder, tiers: Any) -> None:
    """``tiered_pricing: [{input_cost_per_token, output_cost_per_token, range: [lo, hi]}]``.

    The range's lower bound becomes ``tier_min_tokens``. LiteLLM does not say here whether a band
    reprices the whole request, so ``tier_rule`` stays unknown and the range is kept in the note.
    """
    if not isinstance(tiers, list):
        offer.issue("/tiered_pricing", f"not a list: {short_repr(tiers)}")
        return
    for index, tier in enumerate(tiers):
        at = pointer("tiered_pricing", index)
        if isinstance(tier, dict) and not any(f in tier for f in TOKEN_TIER_FIELDS):
            continue  # a per-query search tier (max_results_range): no token price to record
        bounds = tier.get("range") if isinstance(tier, dict) else None
        if not (isinstance(bounds, list) and len(bounds) == 2):
            offer.issue(at, f"tier without a [low, high] range: {short_repr(tier)}")
            continue
        low = int(bounds[0])
        for field in TOKEN_TIER_FIELDS:
            attribute, unit, _ = PRICE_FIELDS[field]
            offer.number(
                attribute,
                tier.get(field),
                unit,
                at + pointer(field),
                tier_min_tokens=low or None,
                note=f"range [{bounds[0]}, {bounds[1]})",
            )
