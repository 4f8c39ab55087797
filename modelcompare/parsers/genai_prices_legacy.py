"""pydantic/genai-prices legacy ``prices/data.json``: every provider in one JSON list.

Upstream froze this file (the per-provider YAMLs are maintained instead), so it is read only as
a cross-check of lower precedence. Each provider entry has the same shape as one provider YAML,
and each model is read by the same code as the YAMLs (``genai_prices._parse_model``), so the two
can never disagree about what a field means.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

from modelcompare.archive import ArchivedResponse
from modelcompare.observations import ParseIssue, ParseResult, SourceLayoutError
from modelcompare.parsers import genai_prices
from modelcompare.parsers._common import one_record, pointer

SOURCE = "genai_prices_legacy"


def parse_data_json(response: ArchivedResponse) -> ParseResult:
    try:
        body = json.loads(response.body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceLayoutError(f"{SOURCE}: {response.url} is not JSON: {exc}") from exc
    if not isinstance(body, list) or not body:
        raise SourceLayoutError(f"{SOURCE}: {response.url}: expected a non-empty list of providers")
    result = ParseResult()
    for p_index, provider in enumerate(body):
        models = provider.get("models") if isinstance(provider, dict) else None
        provider_id = provider.get("id") if isinstance(provider, dict) else None
        if not isinstance(provider_id, str) or not isinstance(models, list):
            result.issues.append(
                ParseIssue(
                    SOURCE, pointer(p_index), "provider entry without an 'id' or a 'models' list"
                )
            )
            continue
        result.num_records += len(models)
        for m_index, entry in enumerate(models):
            locator = pointer(p_index, "models", m_index)
            raw_id = entry.get("id") if isinstance(entry, dict) else None
            with one_record(result, SOURCE, locator, raw_id if isinstance(raw_id, str) else None):
                genai_prices._parse_model(result, provider_id, entry, locator)
    return _as_source(result)


def _as_source(result: ParseResult) -> ParseResult:
    """The shared model reader stamps the YAML source name; this file is a source of its own."""
    result.observations = [dataclasses.replace(o, source=SOURCE) for o in result.observations]
    result.issues = [dataclasses.replace(i, source=SOURCE) for i in result.issues]
    return result
