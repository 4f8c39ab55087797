"""pydantic/genai-prices: one provider YAML (``prices/providers/<provider>.yml``).

The YAMLs are the maintained data (the compiled v1 ``data.json`` is frozen upstream). Per model:
an ``id``, a ``match`` rule that says which request model names it prices, optional ``name``,
``context_window`` and ``prices_checked`` (the maintainers' "checked on" date, kept as ``as_of``),
and ``prices`` in USD per million tokens. ``prices`` is either one price set or a list of
conditional price sets; later ones take precedence once their constraint holds. A
``start_date`` constraint dates a set (``valid_from``, and the previous dated set ends there);
a time-of-day constraint is a daily window, recorded as a variant rather than as history.

A price is a number or ``{base, tiers: [{start, price}]}``. Tier rule: genai-prices prices
tiers by threshold, not by band - its ``calc_mtok_price`` (packages/python/genai_prices/types.py)
says crossing a tier "applies that rate to ALL tokens", the tier being chosen by the request's
total input tokens (strictly more than ``start``). So a tier here is ``whole_request``.

YAML is read with ``_yaml.load``: a ``SafeLoader`` (no Python tags) that builds floats as
``Decimal`` from their text (plain ``safe_load`` would turn ``0.550`` into a float), refuses alias
bombs and deep nesting, and reports repeated keys.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    CONTEXT_WINDOW,
    NAME,
    PRICE_CACHE_READ,
    PRICE_CACHE_WRITE,
    PRICE_INPUT,
    PRICE_OUTPUT,
    TIER_WHOLE_REQUEST,
    ParseResult,
    SourceLayoutError,
)
from modelcompare.parsers import _yaml
from modelcompare.parsers._common import (
    MATCH_RULE,
    Recorder,
    one_record,
    pointer,
    record_id,
    require,
    short_repr,
    storable,
    to_date,
)

SOURCE = "genai_prices"
UNIT = "usd_per_million_tokens"
# price key -> (attribute, qualifier). Audio, image, video and per-request keys have no attribute
# in the vocabulary (or no per-unit unit we record yet) and are left out.
PRICE_KEYS = {
    "input_mtok": (PRICE_INPUT, None),
    "output_mtok": (PRICE_OUTPUT, None),
    "cache_read_mtok": (PRICE_CACHE_READ, None),
    "cache_write_mtok": (PRICE_CACHE_WRITE, None),
    "cache_write_1h_mtok": (PRICE_CACHE_WRITE, "1h"),
}


def load_yaml(response: ArchivedResponse) -> _yaml.Document:
    if not response.body:
        raise SourceLayoutError(f"{SOURCE}: empty response body from {response.url}")
    try:
        return _yaml.load(response.body.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError, _yaml.YamlRefused) as exc:
        raise SourceLayoutError(
            f"{SOURCE}: response from {response.url} is not YAML we read ({exc})"
        ) from exc


def parse_provider_yaml(response: ArchivedResponse) -> ParseResult:
    """One provider file: ``{id, name, ..., models: [...]}``.

    A model whose text repeats a key (two ``input_mtok`` under one ``prices``) is dropped with an
    issue, since which of the two the maintainers meant is unknown; a repeated key outside the
    models refuses the file.
    """
    document = load_yaml(response)
    body = document.data
    require(
        isinstance(body, dict), SOURCE, f"expected a provider mapping, got {type(body).__name__}"
    )
    provider, models = body.get("id"), body.get("models")
    require(isinstance(provider, str) and bool(provider), SOURCE, "no provider 'id'")
    require(isinstance(models, list) and len(models) > 0, SOURCE, "'models' is missing or empty")
    repeated = _repeated_keys_by_model(document, response.url)
    result = ParseResult(num_records=len(models))
    for index, entry in enumerate(models):
        locator = pointer("models", index)
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        with one_record(result, SOURCE, locator, raw_id if isinstance(raw_id, str) else None):
            if index in repeated:
                line, key = repeated[index]
                raise ValueError(f"key {short_repr(key)} is repeated (line {line})")
            _parse_model(result, provider, entry, locator)
    return storable(result)


def _repeated_keys_by_model(document: _yaml.Document, url: str) -> dict[int, tuple[int, str]]:
    """Model index -> the first repeated key inside it (line, key)."""
    spans = _yaml.item_lines(document.node, "models")
    found: dict[int, tuple[int, str]] = {}
    for line, key in document.duplicates:
        owner = next(
            (i for i in reversed(range(len(spans))) if spans[i][0] <= line <= spans[i][1]), None
        )
        if owner is None:
            raise SourceLayoutError(
                f"{SOURCE}: response from {url} repeats the key {short_repr(key)} at line {line}"
            )
        found.setdefault(owner, (line, key))
    return found


def _parse_model(result: ParseResult, provider: str, entry: Any, locator: str) -> None:
    raw_id = record_id(entry)
    model = Recorder(result, SOURCE, raw_id, locator, {"provider": provider})
    model.text(NAME, entry.get("name"), "/name")
    model.number(CONTEXT_WINDOW, entry.get("context_window"), "tokens", "/context_window")
    if entry.get("match") is not None:
        rule = json.dumps(entry["match"], separators=(",", ":"), ensure_ascii=False, default=str)
        model.put(MATCH_RULE, rule, "text", "/match")
    as_of = to_date(entry.get("prices_checked"))
    prices = entry.get("prices")
    if isinstance(prices, dict):
        _price_set(model, prices, "/prices", as_of=as_of)
    elif isinstance(prices, list):
        _conditional_prices(model, prices, as_of)
    else:
        raise TypeError(f"prices is {type(prices).__name__}, not a mapping or a list")


def _conditional_prices(model: Recorder, conditionals: list, as_of: dt.date | None) -> None:
    """Each dated set runs from its start date to the next dated set's start (exclusive)."""
    starts = [_start_date(c) for c in conditionals]
    dated = [d for d in starts if d is not None]
    for index, conditional in enumerate(conditionals):
        at = f"/prices/{index}"
        if not isinstance(conditional, dict) or not isinstance(conditional.get("prices"), dict):
            model.issue(
                at, f"conditional price without a 'prices' mapping: {short_repr(conditional)}"
            )
            continue
        window = _time_window(conditional.get("constraint"))
        cols: dict[str, Any] = {"as_of": as_of, "variant": window}
        if window is None:
            start = starts[index]
            later = [d for d in dated if start is None or d > start]
            cols.update(valid_from=start, valid_to=min(later) if later else None)
        _price_set(model, conditional["prices"], f"{at}/prices", **cols)


def _price_set(model: Recorder, prices: dict, at: str, **cols) -> None:
    for key, (attribute, qualifier) in PRICE_KEYS.items():
        value = prices.get(key)
        if isinstance(value, dict):
            _tiered(model, attribute, value, f"{at}/{key}", qualifier=qualifier, **cols)
        else:
            model.number(attribute, value, UNIT, f"{at}/{key}", qualifier=qualifier, **cols)


def _tiered(model: Recorder, attribute: str, price: dict, at: str, **cols) -> None:
    model.number(attribute, price.get("base"), UNIT, f"{at}/base", **cols)
    tiers = price.get("tiers")
    if not isinstance(tiers, list):
        model.issue(f"{at}/tiers", f"{attribute}: tiers is not a list: {short_repr(tiers)}")
        return
    for index, tier in enumerate(tiers):
        start = tier.get("start") if isinstance(tier, dict) else None
        if isinstance(start, bool) or not isinstance(start, int):
            model.issue(
                f"{at}/tiers/{index}",
                f"{attribute}: tier without an integer start: {short_repr(tier)}",
            )
            continue
        model.number(
            attribute,
            tier.get("price"),
            UNIT,
            f"{at}/tiers/{index}/price",
            tier_min_tokens=start,
            tier_rule=TIER_WHOLE_REQUEST,
            **cols,
        )


def _start_date(conditional: Any) -> dt.date | None:
    constraint = conditional.get("constraint") if isinstance(conditional, dict) else None
    if isinstance(constraint, dict) and constraint.get("start_date") is not None:
        return to_date(constraint["start_date"])
    return None


def _time_window(constraint: Any) -> str | None:
    """A daily price window (DeepSeek's), as a variant label: ``time_of_day 00:30:00Z-16:30:00Z``."""
    if isinstance(constraint, dict) and "start_time" in constraint:
        return f"time_of_day {constraint['start_time']}-{constraint.get('end_time')}"
    return None
