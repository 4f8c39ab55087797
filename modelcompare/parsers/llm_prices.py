"""simonw/llm-prices: one vendor file with a dated price history per model.

This is the one structured source that dates its own prices, so it is what lets the pipeline know
when a price changed (case C09). Each ``price_history`` row becomes prices with ``valid_from`` =
``from_date`` (inclusive) and ``valid_to`` = ``to_date`` (exclusive); ``null`` leaves the end open.
A row with no dates at all is kept as undated: deciding whether it overrides a dated history is
the facts layer's job, not the parser's. Prices are USD per million tokens; ``input_cached`` is
the cache-read price. The vendor is both the creator and the provider that sells at these prices.
"""

from __future__ import annotations

from typing import Any

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    NAME,
    PRICE_CACHE_READ,
    PRICE_INPUT,
    PRICE_OUTPUT,
    ParseResult,
)
from modelcompare.parsers._common import (
    Recorder,
    load_json,
    one_record,
    pointer,
    record_id,
    require,
    storable,
    to_date,
)

SOURCE = "llm_prices"
UNIT = "usd_per_million_tokens"
ROW_PRICES = {"input": PRICE_INPUT, "output": PRICE_OUTPUT, "input_cached": PRICE_CACHE_READ}


def parse_vendor(response: ArchivedResponse) -> ParseResult:
    """``{"vendor", "models": [{"id", "name", "price_history": [...]}]}``."""
    body = load_json(response, SOURCE)
    require(isinstance(body, dict), SOURCE, f"expected an object, got {type(body).__name__}")
    vendor, models = body.get("vendor"), body.get("models")
    require(isinstance(vendor, str) and bool(vendor), SOURCE, "no 'vendor' name")
    require(isinstance(models, list) and len(models) > 0, SOURCE, "'models' is missing or empty")
    result = ParseResult(num_records=len(models))
    for index, entry in enumerate(models):
        locator = pointer("models", index)
        with one_record(result, SOURCE, locator, _id_or_none(entry)):
            _parse_model(result, vendor, entry, locator)
    return storable(result)


def _parse_model(result: ParseResult, vendor: str, entry: Any, locator: str) -> None:
    raw_id = record_id(entry)
    model = Recorder(result, SOURCE, raw_id, locator, {"provider": vendor})
    model.text(NAME, entry.get("name"), "/name")
    history = entry.get("price_history")
    if not isinstance(history, list):
        raise TypeError(f"price_history is {type(history).__name__}, not a list")
    for index, row in enumerate(history):
        row_locator = locator + pointer("price_history", index)
        with one_record(result, SOURCE, row_locator, raw_id):
            _parse_row(result, vendor, raw_id, row, row_locator)


def _parse_row(result: ParseResult, vendor: str, raw_id: str, row: Any, locator: str) -> None:
    if not isinstance(row, dict):
        raise TypeError(f"price_history row is {type(row).__name__}, not an object")
    valid_from, valid_to = to_date(row.get("from_date")), to_date(row.get("to_date"))
    if valid_from and valid_to and valid_to <= valid_from:
        raise ValueError(f"to_date {valid_to} is not after from_date {valid_from}")
    dated = {"provider": vendor, "valid_from": valid_from, "valid_to": valid_to}
    prices = Recorder(result, SOURCE, raw_id, locator, dated)
    for field, attribute in ROW_PRICES.items():
        prices.number(attribute, row.get(field), UNIT, pointer(field))


def _id_or_none(entry: Any) -> str | None:
    return entry.get("id") if isinstance(entry, dict) and isinstance(entry.get("id"), str) else None
