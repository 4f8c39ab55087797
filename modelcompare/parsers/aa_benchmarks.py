"""Artificial Analysis figures, from the public copy kept by the token-tariff project.

The copy is ``{slug: {speed, ttft, intelligence, coding}}``: AA's model slug, output speed in
tokens per second, time to first token in seconds, and the AA Intelligence and Coding indices.
All are model facts keyed by AA's own slug (identity is resolved later). ``null`` means AA has no
figure and emits nothing. A speed or time to first token of exactly 0 is AA's placeholder for
"not measured" (245 of the 542 slugs have both at 0, and no served model answers in 0 s), so it is
recorded as unknown with a note rather than as a figure that would win every "fastest" ranking.
The figures are Artificial Analysis data; attribution goes with them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import (
    BENCHMARK,
    MODEL,
    OUTPUT_SPEED,
    TIME_TO_FIRST_TOKEN,
    ParseResult,
)
from modelcompare.parsers._common import (
    Recorder,
    load_json,
    one_record,
    pointer,
    require,
    storable,
)

SOURCE = "aa_benchmarks"
INDICES = {
    "intelligence": "Artificial Analysis Intelligence Index|",
    "coding": "Artificial Analysis Coding Index|",
}
SERVING = {"speed": (OUTPUT_SPEED, "tokens_per_second"), "ttft": (TIME_TO_FIRST_TOKEN, "seconds")}


def parse_aa_models(response: ArchivedResponse) -> ParseResult:
    """One record per AA slug."""
    body = load_json(response, SOURCE)
    require(
        isinstance(body, dict),
        SOURCE,
        f"expected an object keyed by model slug, got {type(body).__name__}",
    )
    require(len(body) > 0, SOURCE, "no model slugs")
    result = ParseResult(num_records=len(body))
    for slug, figures in body.items():
        with one_record(result, SOURCE, pointer(slug), slug):
            _parse_slug(result, slug, figures)
    return storable(result)


def _parse_slug(result: ParseResult, slug: str, figures: Any) -> None:
    if not isinstance(figures, dict):
        raise TypeError(f"figures are {type(figures).__name__}, not an object")
    model = Recorder(result, SOURCE, slug, pointer(slug), {"subject": MODEL})
    for field, qualifier in INDICES.items():
        model.number(BENCHMARK, figures.get(field), "index", pointer(field), qualifier=qualifier)
    for field, (attribute, unit) in SERVING.items():
        value = figures.get(field)
        if _is_zero(value):
            model.put(attribute, None, unit, pointer(field), note="0 in source: not measured")
        else:
            model.number(attribute, value, unit, pointer(field))


def _is_zero(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | Decimal) and value == 0
