"""OpenRouter: the ``/api/v1/models`` list and the per-model ``/endpoints`` responses.

OpenRouter mixes facts about a model with facts about its own offering of it, and the two are
easy to confuse (case C05). Here ``context_length`` is the model's context window, while
``top_provider.context_length`` and ``max_completion_tokens`` are limits of the OpenRouter
offering; capabilities read from ``supported_parameters`` are offering facts too, because they
depend on the upstream route. ``created`` is when OpenRouter listed the model (``listed_at``), never
a release date. Prices are USD per token, as strings, kept as written. ``"-1"`` means "decided per
request" (a router such as ``openrouter/auto``, case C08): it is recorded as unknown with the
note "dynamic", never as a negative price, and a model whose every price is ``"-1"`` also gets
``mode = "router"`` so comparisons can leave it out.
"""

from __future__ import annotations

from typing import Any

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    AUDIO_INPUT,
    CANONICAL_SLUG,
    CONTEXT_WINDOW,
    DEPRECATION_DATE,
    HF_ID,
    JSON_MODE,
    KNOWLEDGE_CUTOFF,
    LISTED_AT,
    MAX_INPUT,
    MAX_OUTPUT,
    MODE,
    MODEL,
    NAME,
    OFFERING,
    PRICE_CACHE_READ,
    PRICE_CACHE_WRITE,
    PRICE_IMAGE,
    PRICE_INPUT,
    PRICE_OUTPUT,
    PRICE_REQUEST,
    REASONING,
    STRUCTURED_OUTPUT,
    TOOL_CALLING,
    VISION,
    ParseResult,
)
from modelcompare.parsers._common import (
    Recorder,
    load_json,
    one_record,
    pointer,
    record_id,
    require,
    short_repr,
    storable,
    unix_date,
)

SOURCE = "openrouter"
ENDPOINTS_SOURCE = "openrouter_endpoints"
PROVIDER = "openrouter"
DYNAMIC = "-1"

# pricing key -> (attribute, raw unit). web_search, internal_reasoning and audio have no attribute
# in the vocabulary yet and are left out rather than forced into one.
PRICE_FIELDS = {
    "prompt": (PRICE_INPUT, "usd_per_token"),
    "completion": (PRICE_OUTPUT, "usd_per_token"),
    "input_cache_read": (PRICE_CACHE_READ, "usd_per_token"),
    "input_cache_write": (PRICE_CACHE_WRITE, "usd_per_token"),
    "image": (PRICE_IMAGE, "usd_per_image"),
    "request": (PRICE_REQUEST, "usd_per_request"),
}
# capability -> the supported_parameters that grant it.
PARAMETER_CAPABILITIES = (
    (TOOL_CALLING, ("tools",)),
    (STRUCTURED_OUTPUT, ("structured_outputs",)),
    (JSON_MODE, ("response_format",)),
    (REASONING, ("reasoning", "include_reasoning")),
)


def parse_models(response: ArchivedResponse) -> ParseResult:
    """``GET /api/v1/models``: one record per model id (``:free`` and other suffixes included)."""
    body = load_json(response, SOURCE)
    require(
        isinstance(body, dict) and "data" in body, SOURCE, "expected an object with a 'data' key"
    )
    data = body["data"]
    require(isinstance(data, list), SOURCE, f"'data' is {type(data).__name__}, not a list")
    require(len(data) > 0, SOURCE, "'data' is an empty list")
    result = ParseResult(num_records=len(data))
    for index, entry in enumerate(data):
        locator = pointer("data", index)
        with one_record(result, SOURCE, locator, _id_or_none(entry)):
            _parse_model(result, entry, locator)
    return storable(result)


def parse_endpoints(response: ArchivedResponse) -> ParseResult:
    """``GET /api/v1/models/{author}/{slug}/endpoints``: one offering per upstream endpoint."""
    body = load_json(response, ENDPOINTS_SOURCE)
    require(
        isinstance(body, dict) and "data" in body,
        ENDPOINTS_SOURCE,
        "expected an object with a 'data' key",
    )
    data = body["data"]
    require(isinstance(data, dict), ENDPOINTS_SOURCE, "'data' is not an object")
    endpoints = data.get("endpoints")
    require(isinstance(endpoints, list), ENDPOINTS_SOURCE, "'data.endpoints' is not a list")
    require(len(endpoints) > 0, ENDPOINTS_SOURCE, "'data.endpoints' is an empty list")
    raw_id = data.get("id")
    require(isinstance(raw_id, str) and bool(raw_id), ENDPOINTS_SOURCE, "'data.id' is missing")

    result = ParseResult(num_records=len(endpoints))
    with one_record(result, ENDPOINTS_SOURCE, "/data", raw_id):
        model = Recorder(result, ENDPOINTS_SOURCE, raw_id, "/data", {"subject": MODEL})
        model.text(NAME, data.get("name"), "/name")
        _modalities(model, data.get("architecture"))
        listing = Recorder(result, ENDPOINTS_SOURCE, raw_id, "/data", _offering(None))
        _listed_at(listing, data.get("created"))
    for index, endpoint in enumerate(endpoints):
        locator = pointer("data", "endpoints", index)
        with one_record(result, ENDPOINTS_SOURCE, locator, raw_id):
            _parse_endpoint(result, raw_id, endpoint, locator)
    return storable(result)


def _parse_model(result: ParseResult, entry: dict, locator: str) -> None:
    raw_id = record_id(entry)
    variant = raw_id.split(":", 1)[1] if ":" in raw_id else None
    model = Recorder(result, SOURCE, raw_id, locator, {"subject": MODEL})
    offer = Recorder(result, SOURCE, raw_id, locator, _offering(variant))

    model.text(NAME, entry.get("name"), "/name")
    model.text(CANONICAL_SLUG, entry.get("canonical_slug"), "/canonical_slug")
    model.text(HF_ID, entry.get("hugging_face_id"), "/hugging_face_id")
    model.date(KNOWLEDGE_CUTOFF, entry.get("knowledge_cutoff"), "/knowledge_cutoff")
    model.number(CONTEXT_WINDOW, entry.get("context_length"), "tokens", "/context_length")
    _modalities(model, entry.get("architecture"))

    _listed_at(offer, entry.get("created"))
    offer.date(DEPRECATION_DATE, entry.get("expiration_date"), "/expiration_date")
    _prices(offer, model, _mapping(entry.get("pricing"), "pricing"))
    top = _mapping(entry.get("top_provider"), "top_provider")
    offer.number(
        CONTEXT_WINDOW, top.get("context_length"), "tokens", "/top_provider/context_length"
    )
    offer.number(
        MAX_OUTPUT,
        top.get("max_completion_tokens"),
        "tokens",
        "/top_provider/max_completion_tokens",
    )
    _capabilities(offer, entry.get("supported_parameters"))


def _parse_endpoint(result: ParseResult, raw_id: str, endpoint: Any, locator: str) -> None:
    endpoint = _mapping(endpoint, "endpoint")
    variant = endpoint.get("tag") or endpoint.get("provider_name")
    if not isinstance(variant, str) or not variant:
        raise ValueError("endpoint has neither 'tag' nor 'provider_name'")
    quantization = endpoint.get("quantization")
    # "unknown" is OpenRouter saying it does not know; keep the column empty rather than key an
    # offering by the word "unknown".
    if quantization in ("unknown", ""):
        quantization = None
    offer = Recorder(result, ENDPOINTS_SOURCE, raw_id, locator, _offering(variant, quantization))
    _prices(offer, None, _mapping(endpoint.get("pricing"), "pricing"))
    offer.number(CONTEXT_WINDOW, endpoint.get("context_length"), "tokens", "/context_length")
    offer.number(
        MAX_OUTPUT, endpoint.get("max_completion_tokens"), "tokens", "/max_completion_tokens"
    )
    offer.number(MAX_INPUT, endpoint.get("max_prompt_tokens"), "tokens", "/max_prompt_tokens")
    _capabilities(offer, endpoint.get("supported_parameters"))


def _offering(variant: str | None, quantization: str | None = None) -> dict[str, Any]:
    return {
        "subject": OFFERING,
        "provider": PROVIDER,
        "variant": variant,
        "quantization": quantization,
    }


def _prices(offer: Recorder, model: Recorder | None, pricing: dict) -> None:
    stated = {key: pricing[key] for key in PRICE_FIELDS if pricing.get(key) is not None}
    for key, raw in stated.items():
        attribute, unit = PRICE_FIELDS[key]
        if str(raw).strip() == DYNAMIC:
            offer.put(attribute, None, unit, f"/pricing/{key}", note="dynamic")
        else:
            offer.number(attribute, raw, unit, f"/pricing/{key}")
    if model is not None and stated and all(str(v).strip() == DYNAMIC for v in stated.values()):
        model.put(MODE, "router", "text", "/pricing", note="every price is -1 (priced per request)")


def _capabilities(offer: Recorder, parameters: Any) -> None:
    """True or false for each capability, but only where the source gives the list at all."""
    if parameters is None:
        return
    if not isinstance(parameters, list):
        offer.issue("/supported_parameters", f"not a list: {short_repr(parameters)}")
        return
    for attribute, names in PARAMETER_CAPABILITIES:
        offer.put(
            attribute, _truth(any(n in parameters for n in names)), "bool", "/supported_parameters"
        )


def _modalities(model: Recorder, architecture: Any) -> None:
    inputs = _mapping(architecture, "architecture").get("input_modalities")
    if inputs is None:
        return
    if not isinstance(inputs, list):
        model.issue("/architecture/input_modalities", f"not a list: {short_repr(inputs)}")
        return
    at = "/architecture/input_modalities"
    model.put(VISION, _truth("image" in inputs), "bool", at)
    model.put(AUDIO_INPUT, _truth("audio" in inputs), "bool", at)


def _listed_at(offer: Recorder, created: Any) -> None:
    if created is None:
        return
    try:
        offer.put(LISTED_AT, unix_date(created), "date", "/created", note=f"created={created}")
    except ValueError as exc:
        offer.issue("/created", f"{LISTED_AT}: {exc}")


def _mapping(value: Any, name: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"'{name}' is {type(value).__name__}, not an object")
    return value


def _truth(value: bool) -> str:
    return "true" if value else "false"


def _id_or_none(entry: Any) -> str | None:
    return entry.get("id") if isinstance(entry, dict) and isinstance(entry.get("id"), str) else None
